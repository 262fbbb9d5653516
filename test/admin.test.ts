import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { JobListView } from "../src/operations/console";
import type { CustomerView } from "../src/operations/customers";
import { HANDLED_EVENT_TYPES } from "../src/stripe/events";
import {
	ADMIN_TOKEN,
	adminApi,
	api,
	captureLogs,
	checkoutCompleted,
	countOf,
	createClient,
	envWith,
	expectNoSecrets,
	insertJob,
	paidClient,
	payloadOf,
	postWebhook,
	standInControl,
	uniqueId,
	waitForJobState,
} from "./support/helpers";
import { TEST_SECRETS } from "./support/test-secrets";

function endpoint(over: Record<string, unknown> = {}) {
	return {
		id: uniqueId("we_"),
		object: "webhook_endpoint",
		url: "http://127.0.0.1:8787/api/webhook/stripe",
		status: "enabled",
		enabled_events: [...HANDLED_EVENT_TYPES],
		livemode: false,
		...over,
	};
}

/** An isolated Stripe account at the stand-in, with the given webhook endpoints. */
async function stripeAccount(endpoints: unknown[], overrides: Partial<Record<keyof Env, string>> = {}) {
	const key = `sk_test_${uniqueId("doctor")}`;
	await standInControl("webhook_endpoints", { key, endpoints });
	return { key, env: envWith({ STRIPE_SECRET_KEY: key, ...overrides }) };
}

type Checks = { ok: boolean; mode: string; checks: Array<{ name: string; ok: boolean; hint: string }> };

async function doctor(customEnv: Env): Promise<Checks> {
	const response = await adminApi("/api/admin/health", {}, customEnv);
	expect(response.status).toBe(200);
	const text = await response.text();
	expectNoSecrets(text);
	return JSON.parse(text) as Checks;
}

const check = (result: Checks, name: string) => result.checks.find((c) => c.name === name);

describe("admin authentication", () => {
	it("answers 401 without a token or with a wrong one", async () => {
		for (const headers of [
			{} as Record<string, string>,
			{ authorization: "Bearer nope" },
			{ authorization: ADMIN_TOKEN },
			{ authorization: `Bearer ${ADMIN_TOKEN}x` },
		]) {
			const response = await api("/api/admin/jobs", { headers });
			expect(response.status).toBe(401);
			expect(await response.json()).toMatchObject({ error: "unauthorized" });
		}
	});

	it("answers 503 when no ADMIN_TOKEN is configured", async () => {
		const response = await api(
			"/api/admin/health",
			{ headers: { authorization: "Bearer x" } },
			envWith({ ADMIN_TOKEN: "" }),
		);
		expect(response.status).toBe(503);
	});
});

describe("health", () => {
	it("the public health route says the mode and reveals no secret", async () => {
		const response = await api("/api/health");
		const text = await response.text();
		expect(JSON.parse(text)).toEqual({ ok: true, mode: "test" });
		expectNoSecrets(text);
		expect(await (await api("/api/health", {}, envWith({ STRIPE_SECRET_KEY: "" }))).json()).toEqual({
			ok: false,
			mode: "unconfigured",
		});
	});

	it("passes every check on a sound configuration", async () => {
		const account = await stripeAccount([endpoint()]);
		const result = await doctor(account.env);
		expect(result.checks.filter((c) => !c.ok)).toEqual([]);
		expect(result.ok).toBe(true);
		expect(result.checks.map((c) => c.name)).toEqual([
			"stripe_key",
			"webhook_secret",
			"stripe_modes_agree",
			"app_url",
			"stripe_api_base",
			"admin_token",
			"database",
			"queue",
			"plans",
			"mail_transport",
			"mail_quota",
			"stripe_webhook_endpoint",
			"webhook_deliveries",
			"app_webhook",
			"app_api_key",
			"app_deliveries",
			"alerts",
		]);
	});

	it("names the fix when a test key meets only a live webhook secret", async () => {
		const account = await stripeAccount([endpoint()], {
			STRIPE_WEBHOOK_SECRET_TEST: "",
			STRIPE_WEBHOOK_SECRET_LIVE: "whsec_liveOnly5555555555555555",
		});
		const result = await doctor(account.env);
		expect(result.ok).toBe(false);
		expect(check(result, "webhook_secret")).toMatchObject({
			ok: false,
			hint: expect.stringContaining("STRIPE_SECRET_KEY is a test key but only STRIPE_WEBHOOK_SECRET_LIVE is set"),
		});
		expect(check(result, "stripe_modes_agree")?.ok).toBe(false);
	});

	it("fails the APP_URL check for a missing origin or plain http in live mode", async () => {
		expect(check(await doctor(envWith({ APP_URL: "onboarding.example.com" })), "app_url")).toMatchObject({
			ok: false,
			hint: expect.stringContaining("APP_URL must be the site's origin"),
		});
		const live = envWith({
			STRIPE_SECRET_KEY: "sk_live_doctorLive000000000000",
			STRIPE_WEBHOOK_SECRET_LIVE: "whsec_l",
			APP_URL: "http://onboarding.example.com",
		});
		expect(check(await doctor(live), "app_url")).toMatchObject({
			ok: false,
			hint: "APP_URL http://onboarding.example.com is not an https public origin: live checkout is refused until it is",
		});
	});

	it("fails the key check for a malformed key", async () => {
		const result = await doctor(envWith({ STRIPE_SECRET_KEY: "pk_test_publishable" }));
		expect(check(result, "stripe_key")).toMatchObject({ ok: false, hint: expect.stringContaining("sk_test_") });
	});

	it("fails when a plan's price does not exist", async () => {
		const account = await stripeAccount([endpoint()]);
		await standInControl("prices", { key: account.key, remove: ["price_pro_monthly"] });
		expect(check(await doctor(account.env), "plans")).toMatchObject({
			ok: false,
			hint: expect.stringContaining("pro → price_pro_monthly not found"),
		});
		expect(check(await doctor(envWith({ PLANS: "not json" })), "plans")).toMatchObject({ ok: false });
	});

	it("fails the mail check for outbox in live mode and resend without a key", async () => {
		const live = await doctor(
			envWith({
				STRIPE_SECRET_KEY: "sk_live_doctorLive000000000000",
				STRIPE_WEBHOOK_SECRET_LIVE: "whsec_l",
				APP_URL: "https://x.example",
			}),
		);
		expect(check(live, "mail_transport")).toMatchObject({
			ok: false,
			hint: expect.stringContaining("customers receive no email"),
		});
		const resend = await doctor(envWith({ MAIL_TRANSPORT: "resend", MAIL_API_KEY: "" }));
		expect(check(resend, "mail_transport")).toMatchObject({ ok: false, hint: expect.stringContaining("MAIL_API_KEY") });
	});

	it("fails the database check when migrations are missing", async () => {
		const fakeDb = new Proxy(env.DB, {
			get(target, prop) {
				if (prop === "prepare")
					return (sql: string) =>
						target.prepare(sql.replace("sqlite_master", "(select 'clients' as name, 'table' as type)"));
				const value = Reflect.get(target, prop);
				return typeof value === "function" ? value.bind(target) : value;
			},
		});
		const result = await doctor({ ...env, DB: fakeDb } as Env);
		expect(check(result, "database")).toMatchObject({
			ok: false,
			hint: expect.stringContaining("wrangler d1 migrations apply"),
		});
	});

	it("fails the queue check when the queue is not bound", async () => {
		const result = await doctor({ ...env, WORK_QUEUE: undefined } as unknown as Env);
		expect(check(result, "queue")).toMatchObject({ ok: false });
	});

	it("reports each way the Stripe webhook endpoint can be wrong", async () => {
		const cases: Array<[unknown[], string]> = [
			[[], "no Stripe webhook endpoint points at http://127.0.0.1:8787/api/webhook/stripe"],
			[[endpoint({ url: "https://old.example/webhook" })], "no Stripe webhook endpoint points at"],
			[[endpoint({ url: "http://127.0.0.1:8787/api/webhook/stripe/" })], "trailing slash"],
			[[endpoint({ status: "disabled" })], "is disabled"],
			[
				[endpoint({ enabled_events: ["checkout.session.completed"] })],
				"does not send: checkout.session.async_payment_succeeded",
			],
			[[endpoint({ livemode: true })], "live endpoint but the key is test"],
		];
		for (const [endpoints, hint] of cases) {
			const account = await stripeAccount(endpoints);
			expect(check(await doctor(account.env), "stripe_webhook_endpoint")).toMatchObject({
				ok: false,
				hint: expect.stringContaining(hint),
			});
		}
		const wildcard = await stripeAccount([
			endpoint({ enabled_events: ["*"], url: "http://127.0.0.1:8787/api/webhooks/stripe" }),
		]);
		expect(check(await doctor(wildcard.env), "stripe_webhook_endpoint")?.ok).toBe(true);
	});

	it("raises the dead-man's switch when checkouts were confirmed by polling Stripe and no webhook arrived", async () => {
		const _now = Date.now();
		const client = await createClient();
		await insertJob(client.clientId, { state: "WELCOME_EMAIL_SENT", source: "sync" });
		const account = await stripeAccount([endpoint()]);
		expect(check(await doctor(account.env), "webhook_deliveries")).toMatchObject({
			ok: false,
			hint: expect.stringContaining("no webhook arrived"),
		});
		// A webhook arriving clears it.
		const other = await createClient();
		await postWebhook(payloadOf(checkoutCompleted(other)));
		expect(check(await doctor(account.env), "webhook_deliveries")?.ok).toBe(true);
	});
});

describe("ops routes", () => {
	it("looks a client up by CRN with payment, provisioning and email history", async () => {
		const client = await createClient();
		const event = checkoutCompleted(client);
		await postWebhook(payloadOf(event));
		await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
		const response = await adminApi(`/api/admin/clients/${client.crn}`);
		expect(response.status).toBe(200);
		const text = await response.text();
		const body = JSON.parse(text) as CustomerView;
		expect(body.client).toMatchObject({ crn: client.crn, email: client.email, payment_status: "paid" });
		expect(body.status).toMatchObject({ payment_state: "paid", provisioning_state: "completed" });
		expect(body.job).toMatchObject({ state: "WELCOME_EMAIL_SENT", source: "webhook" });
		expect(body.job?.last_error).toBeNull();
		expect(body.login).toMatchObject({ email: client.email, password_set_at: null });
		expect(body.plans.map((p) => p.crn)).toEqual([client.crn]);
		expect(body.events.map((e) => e.id)).toContain(event.id);
		expect(body.events[0]).toHaveProperty("received_at");
		expect(text).not.toMatch(/"[a-z]+[A-Z][A-Za-z]*":/);
		expect(body.emails).toHaveLength(1);
		expect(text).not.toContain("token_hash");
		expect(text).not.toContain("onboarding_token_hash");
		expect((await adminApi("/api/admin/clients/CRN-NOPE-NOPE")).status).toBe(404);
	});

	it("lists jobs by state and rejects an unknown state", async () => {
		const { client } = await paidClient();
		const completed = (await (await adminApi("/api/admin/jobs?status=completed")).json()) as JobListView;
		expect(completed.jobs.some((j) => j.client_id === client.clientId)).toBe(true);
		expect((await adminApi("/api/admin/jobs?status=bogus")).status).toBe(400);
	});

	it("refuses to retry a completed job", async () => {
		const { job } = await paidClient();
		expect((await adminApi(`/api/admin/jobs/${job.id}/retry`, { method: "POST" })).status).toBe(409);
	});

	it("retries a failed job as a fresh run: counters and last error cleared", async () => {
		const client = await createClient();
		const id = await insertJob(client.clientId, {
			state: "FAILED",
			attempts: 6,
			requeues: 4,
			lastError: "mail provider answered 500",
			ageMs: 3 * 3_600_000,
		});
		const before = Date.now();
		expect((await adminApi(`/api/admin/jobs/${id}/retry`, { method: "POST" })).status).toBe(202);
		const job = await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
		expect(job).toMatchObject({ attempts: 1, requeues: 0, last_error: null });
		const queuedAt = await env.DB.prepare("select queued_at from jobs where id = ?")
			.bind(id)
			.first<number>("queued_at");
		expect(queuedAt).toBeGreaterThanOrEqual(before);
	});

	it("replays an event from Stripe without double effects", async () => {
		const client = await createClient();
		const event = checkoutCompleted(client);
		await postWebhook(payloadOf(event));
		await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
		await standInControl("events", { key: TEST_SECRETS.STRIPE_SECRET_KEY, event });
		const logs = captureLogs();
		const response = await adminApi(`/api/admin/events/${event.id}/replay`, { method: "POST" });
		logs.restore();
		expect(response.status).toBe(200);
		expect(await response.json()).toMatchObject({ outcome: { status: "applied", enqueued: false } });
		expect(logs.events("ADMIN_ACTION")[0]).toMatchObject({ action: "replay_event", event_id: event.id });
		expect(await countOf("outbox", { to_address: client.email })).toBe(1);
		expect((await adminApi("/api/admin/events/evt_unknown/replay", { method: "POST" })).status).toBe(404);
	});

	it("replays an event that never reached us, provisioning the customer", async () => {
		const client = await createClient();
		const lost = checkoutCompleted(client);
		await standInControl("events", { key: TEST_SECRETS.STRIPE_SECRET_KEY, event: lost });
		const response = await adminApi(`/api/admin/events/${lost.id}/replay`, { method: "POST" });
		expect(await response.json()).toMatchObject({ outcome: { status: "applied", enqueued: true } });
		await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
	});
});
