// Smaller guards against misuse and misreading: the Billing Portal per login,
// links listed as sent only once the provider took them, a lost queue send that
// keeps no minute, dev tools only on a loopback host, API bases that cannot
// carry a live key elsewhere, outbox bodies kept a week, one working reset link.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEV_ADMIN_TOKEN } from "../src/config";
import { linkMessage, provisionMessage } from "../src/work/messages";
import {
	APP_URL,
	adminApi,
	api,
	captureLogs,
	createClient,
	customerWithPassword,
	envWith,
	insertJob,
	login,
	outboxToken,
	paidClient,
	requestSetupLink,
	runCron,
	runQueueBatch,
	setPassword,
	standInControl,
	standInRequests,
	uniqueId,
	waitForEmails,
} from "./support/helpers";

const PASSWORD = "a long and unusual passphrase";
const PUBLIC_ORIGIN = "https://onboarding.example.org";

afterEach(() => {
	vi.restoreAllMocks();
});

type Links = { links: Array<{ purpose: string; created_at: number; sent_at: number | null }> };

describe("the Billing Portal", () => {
	it("opens at most 5 times a minute per login, then answers 429 with Retry-After and logs it", async () => {
		const { client } = await customerWithPassword(PASSWORD);
		const { cookie } = await login(client.email, PASSWORD);
		const open = () => api("/api/portal/billing", { method: "POST", headers: { cookie, origin: "http://worker" } });
		const logs = captureLogs();
		const statuses = [];
		// Each from another client address: the limit is the login's.
		for (let i = 0; i < 6; i++) statuses.push(await open());
		logs.restore();
		expect(statuses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429]);
		expect(statuses[5]?.headers.get("retry-after")).toBe("60");
		expect(await statuses[5]?.json()).toMatchObject({ error: "rate_limited" });
		expect(logs.events("RATE_LIMITED")).toContainEqual(expect.objectContaining({ limiter: "BILLING_LIMITER" }));

		// Another login is not held up by this one.
		const other = await customerWithPassword(PASSWORD);
		const otherCookie = (await login(other.client.email, PASSWORD)).cookie;
		const response = await api("/api/portal/billing", {
			method: "POST",
			headers: { cookie: otherCookie, origin: "http://worker" },
		});
		expect(response.status).toBe(200);
	});
});

describe("links in the console", () => {
	it("lists a link as sent only once the provider took its email, and one waiting or failed as not sent", async () => {
		const { client } = await customerWithPassword(PASSWORD);
		const key = `re_${uniqueId("")}`;
		const custom = envWith({ MAIL_TRANSPORT: "resend", MAIL_API_KEY: key, MAIL_RATE_PER_SECOND: "1000" });
		await env.DB.prepare("delete from rate_gates").run();
		await standInControl("mail", { key, fail: { status: 500, name: "application_error", times: 1 } });
		const before = Date.now();
		const failed = await runQueueBatch("onboarding-work", [linkMessage("support", client.email)], 1, custom);
		expect(failed.retryMessages).toHaveLength(1);
		const view = async () => (await (await adminApi(`/api/admin/clients/${client.crn}`)).json()) as Links;
		const waiting = (await view()).links.filter((l) => l.purpose === "support");
		expect(waiting.length).toBeGreaterThan(0);
		for (const link of waiting) expect(link.sent_at).toBeNull();
		// The welcome link went out: it is listed as sent.
		const welcome = (await view()).links.find((l) => l.purpose === "welcome");
		expect(welcome?.sent_at).toEqual(expect.any(Number));

		await env.DB.prepare("delete from rate_gates").run();
		await runQueueBatch("onboarding-work", [linkMessage("support", client.email)], 1, custom);
		const sent = (await view()).links.filter((l) => l.purpose === "support" && l.sent_at !== null);
		expect(sent).toHaveLength(1);
		expect(sent[0]?.sent_at).toBeGreaterThanOrEqual(before);
	});
});

describe("send the email again while the queue is down", () => {
	it("gives the minute back and answers 503 with Retry-After, so asking again works", async () => {
		const { client } = await paidClient();
		const broken = {
			...env,
			WORK_QUEUE: {
				send: async () => {
					throw new Error("Queue send failed: injected");
				},
				sendBatch: async () => {
					throw new Error("Queue send failed: injected");
				},
			} as unknown as Queue,
		};
		const failed = await api(
			"/api/portal/setup-link",
			{ method: "POST", json: { t: client.token }, headers: { origin: "http://worker" } },
			broken,
		);
		expect(failed.status).toBe(503);
		expect(failed.headers.get("retry-after")).toEqual(expect.stringMatching(/^\d+$/));
		expect(await failed.json()).toMatchObject({ error: "try_again", message: expect.any(String) });
		const again = await requestSetupLink(client.token);
		expect(again.status).toBe(202);
		await waitForEmails(client.email, 2);
	});
});

describe("dev tools and the development admin token", () => {
	const devEnv = (overrides: Partial<Record<keyof Env, string>> = {}) =>
		envWith({ DEV_TOOLS: "1", STRIPE_SECRET_KEY: "", APP_URL, ADMIN_TOKEN: "", ...overrides });
	const devAdmin = (customEnv: Env, origin: string) =>
		api(`${origin}/api/admin/health`, { headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}` } }, customEnv);

	it("need the request's own host to be loopback, not only a loopback APP_URL", async () => {
		const custom = devEnv();
		for (const origin of [PUBLIC_ORIGIN, "http://worker", "http://10.0.0.7:8787"]) {
			for (const path of ["/dev/outbox", "/api/dev/outbox", "/api/dev/checkout/cs_dev_x"]) {
				expect((await api(`${origin}${path}`, {}, custom)).status, `${origin}${path}`).toBe(404);
			}
			expect((await devAdmin(custom, origin)).status, origin).toBe(503);
		}
		expect((await api(`${APP_URL}/api/dev/outbox`, {}, custom)).status).toBe(200);
		expect((await api("http://localhost:8787/api/dev/outbox", {}, custom)).status).toBe(200);
		expect((await devAdmin(custom, APP_URL)).status).toBe(200);
	});

	it("never accepts the development token outside local work, even set as ADMIN_TOKEN", async () => {
		const named = envWith({ ADMIN_TOKEN: DEV_ADMIN_TOKEN });
		expect((await devAdmin(named, PUBLIC_ORIGIN)).status).toBe(503);
		expect((await devAdmin(named, APP_URL)).status).toBe(503);
	});
});

describe("API bases", () => {
	it("accept only api.stripe.com with a live key, and make no request to any other host", async () => {
		const fetchSpy = vi.spyOn(globalThis, "fetch");
		const key = `sk_live_${uniqueId("base")}`;
		const live = envWith({
			STRIPE_SECRET_KEY: key,
			STRIPE_WEBHOOK_SECRET_LIVE: "whsec_liveBases0000000000000000",
			APP_URL: PUBLIC_ORIGIN,
			STRIPE_API_BASE: "https://stripe-proxy.example.org",
			MAIL_TRANSPORT: "resend",
			MAIL_API_BASE: "https://mail-proxy.example.org",
		});
		const logs = captureLogs();
		const response = await api(
			"/api/checkout",
			{ method: "POST", json: { email: `${uniqueId("b")}@example.com`, name: "Grace Hopper", plan_code: "starter" } },
			live,
		);
		logs.restore();
		expect(response.status).toBe(503);
		const checks = logs.events("CONFIG_ERROR").map((e) => e.check);
		expect(checks).toEqual(expect.arrayContaining(["stripe_api_base", "mail_api_base"]));

		const client = await createClient();
		const jobId = await insertJob(client.clientId);
		await runQueueBatch("onboarding-work", [provisionMessage(jobId, client.clientId)], 1, live);
		const hosts = fetchSpy.mock.calls.map(
			([input]) => new URL(input instanceof Request ? input.url : String(input)).host,
		);
		expect(hosts).not.toContain("stripe-proxy.example.org");
		expect(hosts).not.toContain("mail-proxy.example.org");
		expect(await standInRequests(key)).toEqual([]);
	});

	it("must be https unless loopback, in test mode too", async () => {
		const key = `sk_test_${uniqueId("plain")}`;
		const plain = envWith({
			STRIPE_SECRET_KEY: key,
			STRIPE_API_BASE: "http://stripe.internal.example.org",
			MAIL_TRANSPORT: "resend",
			MAIL_API_BASE: "http://mail.internal.example.org",
		});
		const health = (await (await adminApi("/api/admin/health", {}, plain)).json()) as {
			checks: Array<{ name: string; ok: boolean; hint: string }>;
		};
		expect(health.checks.find((c) => c.name === "stripe_api_base")).toMatchObject({ ok: false });
		expect(health.checks.find((c) => c.name === "mail_transport")).toMatchObject({
			ok: false,
			hint: expect.stringContaining("MAIL_API_BASE"),
		});
		// The loopback stand-in the suite uses stays allowed.
		const loopback = (await (await adminApi("/api/admin/health", {}, envWith({ STRIPE_SECRET_KEY: key }))).json()) as {
			checks: Array<{ name: string; ok: boolean }>;
		};
		expect(loopback.checks.find((c) => c.name === "stripe_api_base")?.ok).toBe(true);
	});
});

describe("housekeeping", () => {
	it("deletes outbox emails older than 7 days and keeps newer ones", async () => {
		const { client } = await paidClient();
		const old = `old-${uniqueId("")}`;
		await env.DB.prepare(
			"insert into outbox (id, idempotency_key, to_address, subject, text_body, created_at) values (?, ?, ?, 's', 'a body with a link', ?)",
		)
			.bind(old, old, client.email, Date.now() - 7 * 24 * 3_600_000 - 60_000)
			.run();
		const logs = captureLogs();
		await runCron();
		logs.restore();
		const left = await env.DB.prepare("select id from outbox where to_address = ?").bind(client.email).all();
		expect(left.results.map((r) => r.id)).not.toContain(old);
		expect(left.results).toHaveLength(1);
		expect(logs.events("HOUSEKEEPING_DONE")[0]).toMatchObject({ outbox_deleted: expect.any(Number) });
	});
});

describe("a new reset request", () => {
	it("voids the login's older unused reset links, so only the newest email works", async () => {
		const { client } = await customerWithPassword(PASSWORD);
		await runQueueBatch("onboarding-work", [linkMessage("reset", client.email)]);
		const older = await outboxToken(client.email);
		await runQueueBatch("onboarding-work", [linkMessage("reset", client.email)]);
		const newer = await outboxToken(client.email);
		expect(newer).not.toBe(older);
		const stale = await setPassword(older, "a third quite different phrase");
		expect(stale.status).toBe(400);
		expect(await stale.json()).toMatchObject({ error: "token_used" });
		expect((await setPassword(newer, "a third quite different phrase")).status).toBe(200);
	});
});
