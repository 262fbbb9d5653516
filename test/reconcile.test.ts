import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
	GIVE_UP_AFTER_MS,
	planRequeue,
	RETRYING_STUCK_AFTER_MS,
	STUCK_AFTER_MS,
	type StuckJob,
} from "../src/onboarding/reconcile";
import {
	captureLogs,
	checkoutSessionObject,
	countOf,
	createClient,
	envWith,
	insertJob,
	jobOf,
	paidClient,
	runCron,
	standInControl,
	standInRequests,
	uniqueId,
	waitForJobState,
} from "./support/helpers";

async function stuckJob(state: "PAYMENT_CONFIRMED" | "PROVISIONING_STARTED", ageMs: number, requeues = 0) {
	const client = await createClient();
	return { client, id: await insertJob(client.clientId, { state, ageMs, requeues }) };
}

describe("reconciliation plan", () => {
	const job = (over: Partial<StuckJob>): StuckJob => ({
		id: "j",
		clientId: "c",
		state: "PAYMENT_CONFIRMED",
		requeues: 0,
		lastError: null,
		queuedAt: 0,
		updatedAt: 0,
		...over,
	});

	it("re-enqueues jobs idle past the threshold and leaves fresh ones alone", () => {
		const now = 10 * STUCK_AFTER_MS;
		const plan = planRequeue(
			[job({ id: "old", updatedAt: now - STUCK_AFTER_MS }), job({ id: "fresh", updatedAt: now - STUCK_AFTER_MS + 1 })],
			now,
		);
		expect(plan.requeue.map((j) => j.id)).toEqual(["old"]);
		expect(plan.fail).toEqual([]);
	});

	it("leaves a job the queue is retrying alone until its whole retry window has passed", () => {
		const now = 100 * STUCK_AFTER_MS;
		const retrying = { state: "PROVISIONING_STARTED" as const, lastError: "mail provider answered 500", queuedAt: now };
		expect(planRequeue([job({ ...retrying, updatedAt: now - STUCK_AFTER_MS - 1 })], now).requeue).toEqual([]);
		expect(planRequeue([job({ ...retrying, updatedAt: now - RETRYING_STUCK_AFTER_MS })], now).requeue).toHaveLength(1);
	});

	it("gives up on a job by the age of its run, not by how often it was re-enqueued", () => {
		const now = 100 * GIVE_UP_AFTER_MS;
		// Re-enqueued every two minutes through a 20-minute queue outage: still re-enqueued.
		const outage = job({ id: "outage", requeues: 10, queuedAt: now - 20 * 60_000, updatedAt: now - STUCK_AFTER_MS });
		const old = job({ id: "old", requeues: 1, queuedAt: now - GIVE_UP_AFTER_MS, updatedAt: now - STUCK_AFTER_MS });
		const plan = planRequeue([outage, old], now);
		expect(plan.requeue.map((j) => j.id)).toEqual(["outage"]);
		expect(plan.fail.map((j) => j.id)).toEqual(["old"]);
	});
});

describe("cron reconciler", () => {
	it("re-enqueues stuck jobs in both waiting states, which then complete", async () => {
		const waiting = await stuckJob("PAYMENT_CONFIRMED", STUCK_AFTER_MS + 1_000);
		const crashed = await stuckJob("PROVISIONING_STARTED", STUCK_AFTER_MS + 1_000);
		const fresh = await stuckJob("PAYMENT_CONFIRMED", 1_000);
		const logs = captureLogs();
		await runCron(Date.now());
		logs.restore();
		const requeued = logs.events("RECONCILE_REQUEUED").map((e) => e.job_id);
		expect(requeued).toEqual(expect.arrayContaining([waiting.id, crashed.id]));
		expect(requeued).not.toContain(fresh.id);
		await waitForJobState(waiting.client.clientId, "WELCOME_EMAIL_SENT");
		await waitForJobState(crashed.client.clientId, "WELCOME_EMAIL_SENT");
		expect((await jobOf(fresh.client.clientId))?.requeues).toBe(0);
		expect(logs.events("RECONCILE_DONE")[0]).toMatchObject({ requeued: requeued.length });
	});

	it("bounds the work of one run", async () => {
		for (let i = 0; i < 55; i++) await stuckJob("PAYMENT_CONFIRMED", STUCK_AFTER_MS + 5_000);
		const logs = captureLogs();
		await runCron(Date.now());
		logs.restore();
		expect(logs.events("RECONCILE_REQUEUED")).toHaveLength(50);
	});

	it("fails a job whose run is older than the give-up age, naming why", async () => {
		const { client } = await stuckJob("PROVISIONING_STARTED", GIVE_UP_AFTER_MS + 1_000, 3);
		await runCron(Date.now());
		const job = await jobOf(client.clientId);
		expect(job).toMatchObject({ state: "FAILED" });
		expect(job?.last_error).toMatch(/^still PROVISIONING_STARTED \d+ min after it was queued$/);
	});

	it("provisions a paid session that Stripe lists but no webhook reported, once", async () => {
		const key = `sk_test_${uniqueId("reconcile")}`;
		const custom = envWith({ STRIPE_SECRET_KEY: key });
		const client = await createClient({}, custom);
		await standInControl("session", {
			key,
			id: client.sessionId,
			patch: checkoutSessionObject(client, { created: Math.floor(Date.now() / 1000) }),
		});
		const logs = captureLogs();
		await runCron(Date.now(), custom);
		await runCron(Date.now() + 1_000, custom);
		logs.restore();
		const provisioned = logs.events("RECONCILE_STRIPE_PROVISIONED").filter((e) => e.client_id === client.clientId);
		expect(provisioned).toHaveLength(1);
		const job = await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
		expect(job.source).toBe("reconcile");
		expect(await countOf("outbox", { to_address: client.email })).toBe(1);
	});

	it("keeps re-enqueueing when Stripe is down", async () => {
		const key = `sk_test_${uniqueId("down")}`;
		const custom = envWith({ STRIPE_SECRET_KEY: key });
		await standInControl("fail", { key, path: "/v1/checkout/sessions", times: 5 });
		const waiting = await stuckJob("PAYMENT_CONFIRMED", STUCK_AFTER_MS + 1_000);
		const logs = captureLogs();
		await runCron(Date.now(), custom);
		logs.restore();
		expect(logs.events("RECONCILE_FAILED")[0]).toMatchObject({ step: "stripe" });
		expect(logs.events("RECONCILE_REQUEUED").some((e) => e.job_id === waiting.id)).toBe(true);
	});

	it("keeps in-flight jobs through a queue outage, and still asks Stripe in the same run", async () => {
		const key = `sk_test_${uniqueId("outage")}`;
		const brokenQueue = {
			send: async () => {
				throw new Error("Queue send failed: injected outage");
			},
			sendBatch: async () => {
				throw new Error("Queue send failed: injected outage");
			},
		};
		const custom = { ...envWith({ STRIPE_SECRET_KEY: key }), WORK_QUEUE: brokenQueue } as unknown as Env;
		// Twenty minutes into an outage, already re-enqueued ten times.
		const { client, id } = await stuckJob("PAYMENT_CONFIRMED", STUCK_AFTER_MS + 1_000, 10);
		await env.DB.prepare("update jobs set queued_at = ? where id = ?")
			.bind(Date.now() - 20 * 60_000, id)
			.run();
		const logs = captureLogs();
		await runCron(Date.now(), custom);
		logs.restore();
		expect(logs.events("RECONCILE_FAILED")).toEqual([
			expect.objectContaining({ step: "requeue", error: expect.stringContaining("injected outage") }),
		]);
		expect(await standInRequests(`"key":"${key}"`)).not.toHaveLength(0);
		expect(await jobOf(client.clientId)).toMatchObject({ state: "PAYMENT_CONFIRMED", requeues: 10 });
		// The queue is back: the next run re-enqueues it and it completes.
		await runCron(Date.now());
		await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
	});

	it("leaves a job deferred for the mail provider alone until its time", async () => {
		const { client, id } = await stuckJob("PROVISIONING_STARTED", STUCK_AFTER_MS + 1_000);
		await env.DB.prepare("update jobs set not_before = ? where id = ?")
			.bind(Date.now() + 60_000, id)
			.run();
		const logs = captureLogs();
		await runCron(Date.now());
		logs.restore();
		expect(logs.events("RECONCILE_REQUEUED").some((e) => e.job_id === id)).toBe(false);
		expect((await jobOf(client.clientId))?.requeues).toBe(0);
	});

	it("walks past the newest 300 sessions from a persisted cursor, over several runs", async () => {
		await env.DB.prepare("delete from cursors").run();
		const key = `sk_test_${uniqueId("walk")}`;
		const custom = envWith({ STRIPE_SECRET_KEY: key });
		const client = await createClient({}, custom);
		const now = Math.floor(Date.now() / 1000);
		const oldest = { ...checkoutSessionObject(client, { created: now - 400 }) };
		const others = Array.from({ length: 350 }, (_, i) => ({
			id: `cs_test_other_${i}`,
			created: now - i,
			status: "complete",
			payment_status: "paid",
			client_reference_id: null,
			metadata: {},
		}));
		await standInControl("sessions", { key, sessions: [...others, oldest] });
		const logs = captureLogs();
		await runCron(Date.now(), custom);
		const firstRun = logs.events("RECONCILE_DONE")[0];
		const cursor = await env.DB.prepare("select value from cursors").first<string>("value");
		expect(JSON.parse(cursor ?? "{}")).toMatchObject({ after: expect.stringMatching(/^cs_test_other_/) });
		await runCron(Date.now() + 60_000, custom);
		logs.restore();
		expect(firstRun).toMatchObject({ stripe_checked: 300, stripe_provisioned: 0 });
		expect(logs.events("RECONCILE_DONE")[1]).toMatchObject({ stripe_checked: 51, stripe_provisioned: 1 });
		await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
		// The walk reached the end: the cursor moves up to where every session has settled, and the next walk starts at the newest.
		const after = JSON.parse((await env.DB.prepare("select value from cursors").first<string>("value")) ?? "{}");
		expect(after.after).toBeUndefined();
		expect(after.gte).toBeGreaterThan(now - 30 * 3600);
	});

	it("ignores paid sessions another deployment created on the same Stripe account", async () => {
		await env.DB.prepare("delete from cursors").run();
		const key = `sk_test_${uniqueId("staging")}`;
		const custom = envWith({ STRIPE_SECRET_KEY: key });
		const client = await createClient({}, custom);
		const foreign = checkoutSessionObject(client, { created: Math.floor(Date.now() / 1000) });
		await standInControl("session", {
			key,
			id: client.sessionId,
			patch: { ...foreign, metadata: { ...foreign.metadata, onboarding_origin: "https://staging.example.org" } },
		});
		const logs = captureLogs();
		await runCron(Date.now(), custom);
		logs.restore();
		expect(logs.events("RECONCILE_DONE")[0]).toMatchObject({ stripe_checked: 1, stripe_provisioned: 0 });
		expect(await jobOf(client.clientId)).toBeNull();
	});

	it("deletes expired sessions and links used or expired a day ago, and keeps the rest", async () => {
		const { client } = await paidClient();
		const user = await env.DB.prepare("select id from users where email = ?").bind(client.email).first<string>("id");
		const day = 24 * 3_600_000;
		const now = Date.now();
		await env.DB.batch([
			env.DB.prepare("insert into sessions (id_hash, user_id, expires_at, created_at) values (?, ?, ?, ?)").bind(
				"old-session",
				user,
				now - 1,
				now - day,
			),
			env.DB.prepare("insert into sessions (id_hash, user_id, expires_at, created_at) values (?, ?, ?, ?)").bind(
				"live-session",
				user,
				now + day,
				now,
			),
			env.DB.prepare(
				"insert into password_tokens (token_hash, user_id, purpose, expires_at, used_at, created_at) values (?, ?, 'reset', ?, ?, ?)",
			).bind("used-long-ago", user, now + day, now - 2 * day, now - 3 * day),
			env.DB.prepare(
				"insert into password_tokens (token_hash, user_id, purpose, expires_at, used_at, created_at) values (?, ?, 'reset', ?, null, ?)",
			).bind("expired-long-ago", user, now - 2 * day, now - 3 * day),
			env.DB.prepare(
				"insert into password_tokens (token_hash, user_id, purpose, expires_at, used_at, created_at) values (?, ?, 'reset', ?, null, ?)",
			).bind("expired-just-now", user, now - 1_000, now - 3_600_000),
		]);
		const logs = captureLogs();
		await runCron(now);
		logs.restore();
		const left = async (table: string, column: string) =>
			(
				await env.DB.prepare(`select ${column} as id from ${table} where user_id = ?`).bind(user).all<{ id: string }>()
			).results
				.map((r) => r.id)
				.sort();
		expect(await left("sessions", "id_hash")).toEqual(["live-session"]);
		const tokens = await left("password_tokens", "token_hash");
		expect(tokens).toContain("expired-just-now");
		expect(tokens).not.toContain("used-long-ago");
		expect(tokens).not.toContain("expired-long-ago");
		expect(logs.events("HOUSEKEEPING_DONE")[0]).toMatchObject({ sessions_deleted: 1, links_deleted: 2 });
	});

	it("throws on an unknown cron expression", async () => {
		await expect(runCron(Date.now(), env, "0 0 * * *")).rejects.toThrow("unknown cron trigger");
	});
});
