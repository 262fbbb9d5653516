// The operator console's API: the last day's figures (an empty database first,
// then seeded times), jobs that need attention, finding a customer, and the
// webhook ledger. Tests in this file share one database and run in order.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AttentionView, LedgerEventView, SummaryView } from "../src/operations/console";
import type { CustomerSearchResult } from "../src/operations/customers";
import { JOB_STATES, type JobState, PROVISIONING_STATE } from "../src/rules/job-states";
import {
	adminApi,
	api,
	checkoutCompleted,
	createClient,
	envelope,
	insertJob,
	paidClient,
	payloadOf,
	postWebhook,
	uniqueId,
	waitForJobState,
} from "./support/helpers";

const HOUR = 3_600_000;
const MINUTE = 60_000;

async function getJson<T = Record<string, unknown>>(path: string): Promise<T> {
	const response = await adminApi(path);
	expect(response.status).toBe(200);
	return (await response.json()) as T;
}

const search = (q: unknown) => adminApi("/api/admin/search", { method: "POST", json: { q } });

async function searchResults(q: string) {
	const response = await search(q);
	expect(response.status).toBe(200);
	return ((await response.json()) as { results: CustomerSearchResult[] }).results;
}

/** A customer whose client and job carry exactly these times (epoch ms); null leaves a time unset. */
async function customerAt(opts: {
	state: JobState;
	jobCreatedAt: number;
	jobUpdatedAt?: number;
	completedAt?: number | null;
	paidAt?: number | null;
	clientCreatedAt?: number;
	lastError?: string;
}) {
	const client = await createClient();
	const jobId = await insertJob(client.clientId, { state: opts.state, lastError: opts.lastError ?? null });
	await env.DB.batch([
		env.DB.prepare("update clients set paid_at = ?, created_at = coalesce(?, created_at) where id = ?").bind(
			opts.paidAt ?? null,
			opts.clientCreatedAt ?? null,
			client.clientId,
		),
		env.DB.prepare(
			"update jobs set created_at = ?1, queued_at = ?1, updated_at = ?2, completed_at = ?3 where id = ?4",
		).bind(opts.jobCreatedAt, opts.jobUpdatedAt ?? opts.jobCreatedAt, opts.completedAt ?? null, jobId),
	]);
	return { client, jobId };
}

type AttentionJob = AttentionView["jobs"][number];

const empty = { queued: 0, running: 0, completed: 0, failed: 0 };
const seeded: { failedJob?: string; failedClient?: { clientId: string; crn: string; email: string } } = {};

describe("onboarding summary", () => {
	it("reports zeros, 24 empty hours and no percentiles on an empty database", async () => {
		const before = Date.now();
		const s = await getJson<SummaryView>("/api/admin/summary");
		expect(s).toMatchObject({
			checkouts_started: 0,
			paid: 0,
			provisioned: 0,
			failed: 0,
			payment_to_completed_ms: { count: 0, p50: null, p95: null },
		});
		// The chart's stacking order is the rules' own list of states.
		expect(s.states).toEqual(JOB_STATES.map((state) => PROVISIONING_STATE[state]));
		expect(s.to - s.from).toBe(24 * HOUR);
		expect(s.to).toBeGreaterThanOrEqual(before);
		expect(s.hourly).toHaveLength(24);
		s.hourly.forEach((bucket, i) => {
			expect(bucket).toEqual({ from: s.from + i * HOUR, ...empty });
		});
	});

	it("counts the last 24 hours, buckets jobs by hour and state, and gives p50/p95 from payment to completion", async () => {
		const now = Date.now();
		// Ten completed in the last ten hours, one per hour, taking 1 s … 10 s from payment.
		for (let i = 0; i < 10; i++) {
			const at = now - (i + 0.5) * HOUR;
			await customerAt({
				state: "WELCOME_EMAIL_SENT",
				jobCreatedAt: at,
				paidAt: at,
				completedAt: at + (i + 1) * 1000,
			});
		}
		const failed = await customerAt({
			state: "FAILED",
			jobCreatedAt: now - 1.5 * HOUR,
			jobUpdatedAt: now - HOUR,
			paidAt: now - 1.5 * HOUR,
			lastError: "mail provider answered 422 (validation_error)",
		});
		seeded.failedJob = failed.jobId;
		seeded.failedClient = failed.client;
		await customerAt({ state: "PAYMENT_CONFIRMED", jobCreatedAt: now - 0.25 * HOUR, paidAt: now - 0.25 * HOUR });
		await customerAt({ state: "PROVISIONING_STARTED", jobCreatedAt: now - 2.5 * HOUR, paidAt: now - 2.5 * HOUR });
		// Outside the window: a day and more ago, however slow it was.
		const old = now - 30 * HOUR;
		await customerAt({
			state: "WELCOME_EMAIL_SENT",
			clientCreatedAt: old,
			jobCreatedAt: old,
			paidAt: old,
			completedAt: old + 999_000,
		});
		await customerAt({
			state: "FAILED",
			clientCreatedAt: now - 27 * HOUR,
			jobCreatedAt: now - 27 * HOUR,
			jobUpdatedAt: now - 26 * HOUR,
			paidAt: now - 27 * HOUR,
		});
		// Two checkouts that were never paid.
		await createClient();
		await createClient();

		const s = await getJson<SummaryView>("/api/admin/summary");
		expect(s).toMatchObject({
			checkouts_started: 10 + 3 + 2,
			paid: 10 + 3,
			provisioned: 10,
			failed: 1,
			payment_to_completed_ms: { count: 10, p50: 5_000, p95: 10_000 },
		});
		expect(s.hourly[23]).toMatchObject({ ...empty, queued: 1, completed: 1 });
		expect(s.hourly[22]).toMatchObject({ ...empty, failed: 1, completed: 1 });
		expect(s.hourly[21]).toMatchObject({ ...empty, running: 1, completed: 1 });
		for (let i = 14; i <= 20; i++) expect(s.hourly[i]).toMatchObject({ ...empty, completed: 1 });
		for (let i = 0; i < 14; i++) expect(s.hourly[i]).toMatchObject(empty);
		const total = s.hourly.reduce((n, b) => n + b.queued + b.running + b.completed + b.failed, 0);
		expect(total).toBe(13);
	});

	it("takes percentiles by nearest rank, so one slow completion becomes the p95", async () => {
		const now = Date.now();
		await customerAt({
			state: "WELCOME_EMAIL_SENT",
			jobCreatedAt: now - HOUR,
			paidAt: now - HOUR,
			completedAt: now - HOUR + 60_000,
		});
		const s = await getJson<SummaryView>("/api/admin/summary");
		// Eleven values 1…10 s and 60 s: rank ceil(5.5) = 6 → 6 s; rank ceil(10.45) = 11 → 60 s.
		expect(s.payment_to_completed_ms).toEqual({ count: 11, p50: 6_000, p95: 60_000 });
	});
});

describe("needs attention", () => {
	it("lists failed jobs and stuck ones, never fresh, deferred, leased or completed jobs", async () => {
		const now = Date.now();
		const stuckWaiting = await customerAt({ state: "PAYMENT_CONFIRMED", jobCreatedAt: now - 10 * MINUTE });
		const stuckRunning = await customerAt({ state: "PROVISIONING_STARTED", jobCreatedAt: now - 5 * MINUTE });
		const fresh = await customerAt({ state: "PAYMENT_CONFIRMED", jobCreatedAt: now - 30_000 });
		const deferred = await customerAt({ state: "PAYMENT_CONFIRMED", jobCreatedAt: now - 10 * MINUTE });
		const leased = await customerAt({ state: "PROVISIONING_STARTED", jobCreatedAt: now - 10 * MINUTE });
		const done = await customerAt({
			state: "WELCOME_EMAIL_SENT",
			jobCreatedAt: now - 10 * MINUTE,
			completedAt: now - 9 * MINUTE,
		});
		await env.DB.batch([
			env.DB.prepare("update jobs set not_before = ? where id = ?").bind(now + 5 * MINUTE, deferred.jobId),
			env.DB.prepare("update jobs set lease_until = ? where id = ?").bind(now + MINUTE, leased.jobId),
		]);

		const response = await adminApi("/api/admin/attention");
		const text = await response.text();
		const { jobs } = JSON.parse(text) as { jobs: AttentionJob[] };
		const byId = new Map(jobs.map((j) => [j.job_id, j]));
		expect(byId.get(seeded.failedJob ?? "")).toMatchObject({
			reason: "failed",
			crn: seeded.failedClient?.crn,
			email_domain: "example.com",
			state: "FAILED",
			last_error: "mail provider answered 422 (validation_error)",
		});
		expect(byId.get(stuckWaiting.jobId)).toMatchObject({
			reason: "stuck",
			crn: stuckWaiting.client.crn,
			email_domain: "example.com",
			state: "PAYMENT_CONFIRMED",
		});
		expect(byId.get(stuckWaiting.jobId)?.age_ms).toBeGreaterThanOrEqual(10 * MINUTE);
		expect(byId.get(stuckWaiting.jobId)?.age_ms).toBeLessThan(11 * MINUTE);
		expect(byId.get(stuckRunning.jobId)).toMatchObject({ reason: "stuck", state: "PROVISIONING_STARTED" });
		for (const quiet of [fresh, deferred, leased, done]) expect(byId.has(quiet.jobId)).toBe(false);
		// Failed first, then stuck; the list shows domains, never a whole address.
		const reasons = jobs.map((j) => j.reason);
		expect(reasons.indexOf("stuck")).toBeGreaterThan(reasons.lastIndexOf("failed"));
		expect(text).not.toContain(stuckWaiting.client.email);
		expect(text).not.toContain(seeded.failedClient?.email ?? "@");
	});

	it("drops a retried job from the list, and the queue then completes it", async () => {
		const { failedJob = "", failedClient } = seeded;
		const notReady = await adminApi(`/api/admin/clients/${failedClient?.crn}/setup-link`, { method: "POST", json: {} });
		expect(notReady.status).toBe(409);
		expect(await notReady.json()).toMatchObject({ error: "not_ready" });

		const retry = await adminApi(`/api/admin/jobs/${failedJob}/retry`, { method: "POST", json: {} });
		expect(retry.status).toBe(202);
		const { jobs } = await getJson<{ jobs: AttentionJob[] }>("/api/admin/attention");
		expect(jobs.some((j) => j.job_id === failedJob)).toBe(false);
		await waitForJobState(failedClient?.clientId ?? "", "WELCOME_EMAIL_SENT");

		const link = await adminApi(`/api/admin/clients/${failedClient?.crn}/setup-link`, { method: "POST", json: {} });
		expect(link.status).toBe(202);
		expect(await link.json()).toEqual({ ok: true, resets_password: false });
	});
});

describe("find a customer", () => {
	it("finds one customer by CRN in any case", async () => {
		const { client } = await paidClient();
		const results = await searchResults(` ${client.crn.toLowerCase()} `);
		expect(results).toEqual([
			expect.objectContaining({
				crn: client.crn,
				email: client.email,
				plan_code: "starter",
				access: "active",
				provisioning_state: "completed",
			}),
		]);
	});

	it("finds every plan of an email, as typed or lowercased, newest first", async () => {
		const email = `${uniqueId("twice")}@example.com`;
		const first = await createClient({ email });
		const second = await createClient({ email, plan_code: "pro" });
		await env.DB.prepare("update clients set created_at = created_at - 60000 where id = ?").bind(first.clientId).run();
		const results = await searchResults(email.toUpperCase());
		expect(results.map((r) => r.crn)).toEqual([second.crn, first.crn]);
		// Never paid: nothing to use, and nothing ended either.
		expect(results[0]).toMatchObject({
			plan_code: "pro",
			provisioning_state: "not_started",
			access: "suspended",
			reason: "payment_pending",
		});
	});

	it("answers 404 for nobody and 400 for a query that is neither a CRN nor an email", async () => {
		for (const q of ["CRN-ZZZZ-ZZZZ", "nobody@example.com"]) {
			const response = await search(q);
			expect(response.status).toBe(404);
			expect(await response.json()).toMatchObject({ error: "not_found" });
		}
		for (const q of ["", "   ", "ada lovelace", `${"a".repeat(250)}@example.com`]) {
			const response = await search(q);
			expect(response.status).toBe(400);
			expect(await response.json()).toMatchObject({ error: "invalid_query", message: expect.any(String) });
		}
		expect((await search(undefined)).status).toBe(400);
	});
});

describe("webhook deliveries", () => {
	it("shows each ledger entry as applied, duplicate or ignored, newest first", async () => {
		const { client, event } = await paidClient();
		await env.DB.prepare("update webhook_events set deliveries = 3 where id = ?").bind(event.id).run();
		const ignoredType = envelope("customer.created", { id: "cus_console", object: "customer" });
		await postWebhook(payloadOf(ignoredType));
		const stranger = { clientId: crypto.randomUUID(), crn: "CRN-NONE-NONE", sessionId: uniqueId("cs_none_") };
		const unknownClient = checkoutCompleted(stranger);
		expect((await postWebhook(payloadOf(unknownClient))).status).toBe(200);
		const applied = await paidClient();
		const now = Date.now();
		// Received-at times written out, so the order does not hang on millisecond ties.
		const order = [applied.event.id, unknownClient.id, ignoredType.id, event.id];
		await env.DB.batch(
			order.map((id, i) =>
				env.DB.prepare("update webhook_events set received_at = ? where id = ?").bind(now + 10_000 - i, id),
			),
		);

		const { events } = await getJson<{ events: LedgerEventView[] }>("/api/admin/events?limit=4");
		expect(events.map((e) => e.id)).toEqual(order);
		const [fresh, unknown, ignored, duplicate] = events;
		expect(fresh).toMatchObject({ outcome: "applied", deliveries: 1, duplicate: false, crn: applied.client.crn });
		expect(unknown).toMatchObject({ outcome: "ignored", crn: null, type: "checkout.session.completed" });
		expect(ignored).toMatchObject({ outcome: "ignored", crn: null, type: "customer.created", duplicate: false });
		expect(duplicate).toMatchObject({
			outcome: "applied",
			crn: client.crn,
			deliveries: 3,
			duplicate: true,
			replayable: true,
			received_at: now + 10_000 - 3,
		});
	});

	it("marks only Stripe's own event ids replayable", async () => {
		const client = await createClient();
		await env.DB.prepare(
			"insert into webhook_events (id, type, livemode, event_created, client_id, nonce, received_at) values (?, ?, 0, 0, ?, 'n', ?)",
		)
			.bind(`sync_${client.sessionId}_paid`, "checkout.session.sync", client.clientId, Date.now() + 60_000)
			.run();
		const { events } = await getJson<{ events: LedgerEventView[] }>("/api/admin/events?limit=1");
		expect(events[0]).toMatchObject({ id: `sync_${client.sessionId}_paid`, outcome: "applied", replayable: false });
	});

	it("returns 50 by default and refuses a limit outside 1…200", async () => {
		const statements = Array.from({ length: 60 }, (_, i) =>
			env.DB.prepare(
				"insert into webhook_events (id, type, livemode, event_created, client_id, nonce, received_at) values (?, 'customer.created', 0, 0, null, 'n', ?)",
			).bind(uniqueId("evt_bulk"), Date.now() - HOUR - i),
		);
		await env.DB.batch(statements);
		expect((await getJson<{ events: LedgerEventView[] }>("/api/admin/events")).events).toHaveLength(50);
		expect((await getJson<{ events: LedgerEventView[] }>("/api/admin/events?limit=200")).events.length).toBeGreaterThan(
			60,
		);
		for (const limit of ["0", "201", "abc", "1.5", "-1", ""]) {
			const response = await adminApi(`/api/admin/events?limit=${limit}`);
			expect(response.status).toBe(400);
			expect(await response.json()).toMatchObject({ error: "invalid_limit" });
		}
	});
});

const NO_OR_WRONG_TOKEN: Record<string, string>[] = [{}, { authorization: "Bearer not-the-token-not-the-token-0000" }];

describe("console authentication", () => {
	it("answers 401 on every console route without the token or with a wrong one", async () => {
		for (const [method, path] of [
			["GET", "/api/admin/summary"],
			["GET", "/api/admin/attention"],
			["POST", "/api/admin/search"],
			["GET", "/api/admin/events"],
		]) {
			for (const headers of NO_OR_WRONG_TOKEN) {
				const json = method === "POST" ? { q: "CRN-AAAA-AAAA" } : undefined;
				const response = await api(path ?? "", { method, headers, json });
				expect(response.status).toBe(401);
				expect(await response.json()).toMatchObject({ error: "unauthorized" });
			}
		}
	});
});
