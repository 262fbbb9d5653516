import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DEV_ADMIN_TOKEN, MIN_ADMIN_TOKEN_LENGTH } from "../src/config";
import { isLoopbackOrigin, isPublicHttpsOrigin } from "../src/origins";
import { STRIPE_API_VERSION } from "../src/stripe/api-version";
import { changeFromEvent, HANDLED_EVENT_TYPES, INVOICE_PARENT_API_VERSION, parseEvent } from "../src/stripe/events";
import { provisionMessage } from "../src/work/messages";
import {
	ADMIN_TOKEN,
	APP_URL,
	api,
	type ClientRef,
	captureLogs,
	countOf,
	createClient,
	devIds,
	envelope,
	envWith,
	insertJob,
	invoiceEvent,
	jobOf,
	nowSeconds,
	outboxToken,
	paidClient,
	payloadOf,
	postWebhook,
	runQueueBatch,
	standInControl,
	standInRequests,
	uniqueId,
} from "./support/helpers";

/**
 * api.stripe.com and api.resend.com, the only bases live mode accepts, answered
 * by the local stand-in: requests to them are routed to it, so nothing leaves
 * the machine even when a guard fails.
 */
const HTTPS_STRIPE_BASE = "https://api.stripe.com";
const HTTPS_MAIL_BASE = "https://api.resend.com";
const PUBLIC_ORIGIN = "https://onboarding.example.org";

beforeEach(() => {
	const realFetch = globalThis.fetch;
	vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
		const url = input instanceof Request ? input.url : String(input);
		if (url.startsWith(HTTPS_STRIPE_BASE)) {
			return realFetch(`${env.STAND_IN_URL}${url.slice(HTTPS_STRIPE_BASE.length)}`, init);
		}
		if (url.startsWith(HTTPS_MAIL_BASE)) {
			return realFetch(`${env.STAND_IN_URL}/resend${url.slice(HTTPS_MAIL_BASE.length)}`, init);
		}
		return realFetch(input, init);
	});
});

afterEach(() => {
	vi.restoreAllMocks();
});

/**
 * A sound live configuration with its own Stripe key (its own account at the
 * stand-in), as a fresh env object: config is parsed once per env object.
 */
function liveEnv(overrides: Partial<Record<keyof Env, string>> = {}) {
	const key = `sk_live_${uniqueId("guards")}`;
	return {
		key,
		env: envWith({
			STRIPE_SECRET_KEY: key,
			STRIPE_WEBHOOK_SECRET_LIVE: "whsec_liveGuards0000000000000000",
			APP_URL: PUBLIC_ORIGIN,
			STRIPE_API_BASE: HTTPS_STRIPE_BASE,
			MAIL_TRANSPORT: "resend",
			MAIL_API_KEY: `re_${uniqueId("live")}`,
			MAIL_API_BASE: HTTPS_MAIL_BASE,
			...overrides,
		}),
	};
}

/** `npm run dev`: DEV_TOOLS on, no Stripe key, a loopback APP_URL. */
const devEnv = (overrides: Partial<Record<keyof Env, string>> = {}) =>
	envWith({ DEV_TOOLS: "1", STRIPE_SECRET_KEY: "", APP_URL, ...overrides });

function checkout(customEnv: Env, email = `${uniqueId("guard")}@example.com`) {
	return api(
		"/api/checkout",
		{ method: "POST", json: { email, name: "Grace Hopper", plan_code: "starter" } },
		customEnv,
	);
}

type Check = { name: string; ok: boolean; warn?: boolean; hint: string };
type Checks = { ok: boolean; mode: string; checks: Check[] };

async function doctor(customEnv: Env, token: string = ADMIN_TOKEN): Promise<Checks> {
	const response = await api("/api/admin/health", { headers: { authorization: `Bearer ${token}` } }, customEnv);
	expect(response.status).toBe(200);
	return (await response.json()) as Checks;
}

const check = (result: Checks, name: string) => result.checks.find((c) => c.name === name);

describe("outbox links in the logs", () => {
	it("logs no set-password link or token while dev tools are off", async () => {
		const logs = captureLogs();
		const { client } = await paidClient();
		logs.restore();
		const token = await outboxToken(client.email);
		expect(token).not.toBe("");
		const outbox = logs.events("OUTBOX_MESSAGE");
		expect(outbox).toHaveLength(1);
		expect(outbox[0]).toMatchObject({ email_domain: "example.com" });
		expect(outbox[0]).not.toHaveProperty("dev_link");
		const all = logs.lines.join("\n");
		expect(all).not.toContain(token);
		expect(all).not.toContain("set-password");
	});

	it("logs the link while dev tools are on", async () => {
		const client = await createClient();
		const jobId = await insertJob(client.clientId);
		const logs = captureLogs();
		const result = await runQueueBatch("onboarding-work", [provisionMessage(jobId, client.clientId)], 1, devEnv());
		logs.restore();
		expect(result.explicitAcks).toHaveLength(1);
		const token = await outboxToken(client.email);
		expect(logs.events("OUTBOX_MESSAGE")[0]).toMatchObject({
			dev_link: `${APP_URL}/set-password?token=${token}`,
		});
	});

	it("logs no link when DEV_TOOLS is set but a Stripe key is configured", async () => {
		const client = await createClient();
		const jobId = await insertJob(client.clientId);
		const logs = captureLogs();
		await runQueueBatch("onboarding-work", [provisionMessage(jobId, client.clientId)], 1, envWith({ DEV_TOOLS: "1" }));
		logs.restore();
		const token = await outboxToken(client.email);
		expect(token).not.toBe("");
		expect(logs.events("OUTBOX_MESSAGE")[0]).not.toHaveProperty("dev_link");
		expect(logs.lines.join("\n")).not.toContain(token);
	});
});

describe("live mode with the outbox transport", () => {
	it("reports not ok on /api/health and logs CONFIG_ERROR for mail_transport", async () => {
		const { env: live } = liveEnv({ MAIL_TRANSPORT: "outbox" });
		const logs = captureLogs();
		const response = await api("/api/health", {}, live);
		logs.restore();
		expect(await response.json()).toEqual({ ok: false, mode: "live" });
		expect(logs.events("CONFIG_ERROR")).toEqual([
			expect.objectContaining({ check: "mail_transport", hint: expect.stringContaining("outbox in live mode") }),
		]);
		// The same live configuration with a real transport is healthy.
		expect(await (await api("/api/health", {}, liveEnv().env)).json()).toEqual({ ok: true, mode: "live" });
	});

	it("fails the admin mail_transport check", async () => {
		const { env: live } = liveEnv({ MAIL_TRANSPORT: "outbox" });
		const result = await doctor(live);
		expect(result).toMatchObject({ ok: false, mode: "live" });
		expect(check(result, "mail_transport")).toMatchObject({
			ok: false,
			hint: expect.stringContaining("customers receive no email"),
		});
	});
});

describe("live checkout needs an https public APP_URL", () => {
	it.each([
		"http://onboarding.example.com",
		"https://127.0.0.1:8787",
		"https://localhost",
		"https://10.0.0.5",
		"https://shop.internal",
	])("refuses checkout with APP_URL %s, asking Stripe nothing", async (appUrl) => {
		const { key, env: live } = liveEnv({ APP_URL: appUrl });
		const email = `${uniqueId("refused")}@example.com`;
		const logs = captureLogs();
		const response = await checkout(live, email);
		logs.restore();
		expect(response.status).toBe(503);
		expect(await response.json()).toMatchObject({ error: "checkout_unavailable" });
		expect(logs.events("CONFIG_ERROR")).toContainEqual(
			expect.objectContaining({
				check: "app_url",
				hint: `APP_URL ${appUrl} is not an https public origin: live checkout refused`,
			}),
		);
		expect(await standInRequests(key)).toEqual([]);
		expect(await countOf("clients", { email })).toBe(0);
	});

	it("logs CONFIG_ERROR on every refused checkout, not only when the config is read", async () => {
		const { env: live } = liveEnv({ APP_URL: "https://localhost" });
		await checkout(live);
		const logs = captureLogs();
		const response = await checkout(live);
		logs.restore();
		expect(response.status).toBe(503);
		expect(logs.events("CONFIG_ERROR")).toEqual([expect.objectContaining({ check: "app_url" })]);
	});

	it.each([PUBLIC_ORIGIN, "https://billing.example.co.uk:8443"])(
		"proceeds to Stripe with APP_URL %s",
		async (appUrl) => {
			const { key, env: live } = liveEnv({ APP_URL: appUrl });
			const response = await checkout(live);
			expect(response.status).toBe(200);
			const body = (await response.json()) as { checkout_url: string; status_url: string };
			expect(body.checkout_url).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_live_/);
			expect(body.status_url.startsWith(`${appUrl}/api/portal/setup-status?t=`)).toBe(true);
			const sessions = (await standInRequests(key)).filter((r) => r.path === "/v1/checkout/sessions");
			expect(sessions).toHaveLength(1);
			expect(sessions[0]?.form.success_url?.startsWith(`${appUrl}/onboarding?t=`)).toBe(true);
		},
	);

	it("tells loopback origins apart", () => {
		for (const url of [
			"http://127.0.0.1:8787",
			"http://127.9.8.7",
			"http://localhost:8787",
			"https://localhost",
			"http://LOCALHOST:8787",
			"http://app.localhost:3000",
			"http://[::1]:8787",
		]) {
			expect(isLoopbackOrigin(url), url).toBe(true);
		}
		for (const url of [
			PUBLIC_ORIGIN,
			"http://127.0.0.1.example.org",
			"http://localhost.example.org",
			"http://10.0.0.5",
			"http://0.0.0.0:8787",
			"not a url",
			"",
		]) {
			expect(isLoopbackOrigin(url), url).toBe(false);
		}
	});

	it("accepts only https origins with a public host", () => {
		for (const url of [
			PUBLIC_ORIGIN,
			"https://onboarding.example.org:8443",
			"https://172.32.0.1",
			"https://100.128.0.1",
		]) {
			expect(isPublicHttpsOrigin(url), url).toBe(true);
		}
		for (const url of [
			"http://onboarding.example.org",
			"ftp://onboarding.example.org",
			"onboarding.example.org",
			"",
			"https://127.0.0.1:8787",
			"https://127.1",
			"https://2130706433",
			"https://localhost",
			"https://app.localhost",
			"https://[::1]",
			"https://0.0.0.0",
			"https://10.0.0.5",
			"https://192.168.1.20",
			"https://172.16.0.1",
			"https://172.31.255.255",
			"https://169.254.169.254",
			"https://100.64.0.1",
			"https://[fd12:3456::1]",
			"https://[fe80::1]",
			"https://shop.internal",
			"https://printer.local",
			"https://router.lan",
			"https://nas.home",
			"https://site.test",
			"https://site.example",
			"https://site.invalid",
			"https://intranet",
		]) {
			expect(isPublicHttpsOrigin(url), url).toBe(false);
		}
	});

	it("treats a name written with its trailing root dot like the name itself", () => {
		// "localhost." is localhost and "shop.internal." is shop.internal (RFC 1034 §3.1 absolute names).
		for (const url of [
			"https://localhost.",
			"https://app.localhost.",
			"https://shop.internal.",
			"https://site.test.",
		]) {
			expect(isPublicHttpsOrigin(url), url).toBe(false);
		}
	});
});

describe("API bases must be https in live mode", () => {
	it("makes no Stripe request to a plain-http STRIPE_API_BASE with a live key", async () => {
		const { key, env: live } = liveEnv({ STRIPE_API_BASE: env.STAND_IN_URL });
		const logs = captureLogs();
		const response = await checkout(live);
		logs.restore();
		expect(response.status).toBe(503);
		expect(await response.json()).toMatchObject({ error: "checkout_unavailable" });
		expect(logs.events("CONFIG_ERROR")).toContainEqual(expect.objectContaining({ check: "stripe_api_base" }));
		const result = await doctor(live);
		expect(check(result, "stripe_api_base")).toMatchObject({
			ok: false,
			hint: expect.stringContaining("STRIPE_API_BASE must be https://"),
		});
		expect(await standInRequests(key)).toEqual([]);
	});

	it("allows a plain-http STRIPE_API_BASE in test mode", async () => {
		const key = `sk_test_${uniqueId("httpbase")}`;
		const test = envWith({ STRIPE_SECRET_KEY: key });
		expect(env.STRIPE_API_BASE).toMatch(/^http:\/\//);
		expect((await checkout(test)).status).toBe(200);
		expect((await standInRequests(key)).some((r) => r.path === "/v1/checkout/sessions")).toBe(true);
		expect(check(await doctor(test), "stripe_api_base")?.ok).toBe(true);
	});

	it("sends no mail to a plain-http MAIL_API_BASE in live mode, and the job waits for a retry", async () => {
		const mailKey = `re_${uniqueId("livemail")}`;
		const { env: live } = liveEnv({ MAIL_API_BASE: `${env.STAND_IN_URL}/resend`, MAIL_API_KEY: mailKey });
		expect(check(await doctor(live), "mail_transport")).toMatchObject({
			ok: false,
			hint: expect.stringContaining("MAIL_API_BASE"),
		});
		const client = await createClient();
		const jobId = await insertJob(client.clientId);
		const result = await runQueueBatch("onboarding-work", [provisionMessage(jobId, client.clientId)], 1, live);
		expect(result.explicitAcks).toHaveLength(0);
		expect(result.retryMessages).toHaveLength(1);
		const job = await jobOf(client.clientId);
		expect(job?.state).not.toBe("WELCOME_EMAIL_SENT");
		expect(job?.last_error).toContain("MAIL_API_BASE");
		expect(await standInControl("mail-calls", { key: mailKey })).toEqual({ calls: 0 });
		expect(await standInRequests(mailKey)).toEqual([]);
	});

	it("allows a plain-http MAIL_API_BASE in test mode", async () => {
		const mailKey = `re_${uniqueId("testmail")}`;
		const test = envWith({ MAIL_TRANSPORT: "resend", MAIL_API_KEY: mailKey });
		expect(env.MAIL_API_BASE).toMatch(/^http:\/\//);
		expect(check(await doctor(test), "mail_transport")?.ok).toBe(true);
		const client = await createClient();
		const jobId = await insertJob(client.clientId);
		const result = await runQueueBatch("onboarding-work", [provisionMessage(jobId, client.clientId)], 1, test);
		expect(result.explicitAcks).toHaveLength(1);
		expect(await standInControl("mail-calls", { key: mailKey })).toEqual({ calls: 1 });
	});
});

describe("dev tools need no Stripe key and a loopback APP_URL", () => {
	async function expectDevToolsOff(customEnv: Env) {
		for (const path of ["/dev/outbox", "/dev/checkout", "/api/dev/outbox", "/api/dev/checkout/cs_dev_x"]) {
			const response = await api(`${APP_URL}${path}`, {}, customEnv);
			expect(response.status, path).toBe(404);
			expect(await response.json()).toEqual({ error: "not_found", message: "No such route." });
		}
		const pay = await api(`${APP_URL}/api/dev/checkout/cs_dev_x/pay`, { method: "POST", json: {} }, customEnv);
		expect(pay.status).toBe(404);
	}

	const devAdmin = (customEnv: Env, origin = APP_URL) =>
		api(`${origin}/api/admin/health`, { headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}` } }, customEnv);

	it("stays off with a test key", async () => {
		const custom = devEnv({ STRIPE_SECRET_KEY: env.STRIPE_SECRET_KEY, ADMIN_TOKEN: "" });
		await expectDevToolsOff(custom);
		expect((await devAdmin(custom)).status).toBe(503);
	});

	it("stays off with a live key", async () => {
		const custom = liveEnv({ DEV_TOOLS: "1", APP_URL, ADMIN_TOKEN: "" }).env;
		await expectDevToolsOff(custom);
		expect((await devAdmin(custom)).status).toBe(503);
	});

	it("stays off without a key when APP_URL is public", async () => {
		const custom = devEnv({ APP_URL: PUBLIC_ORIGIN, ADMIN_TOKEN: "" });
		await expectDevToolsOff(custom);
		expect((await devAdmin(custom)).status).toBe(503);
		expect(await (await checkout(custom)).json()).toMatchObject({ error: "checkout_unavailable" });
	});

	it("turns on without a key and with a loopback APP_URL", async () => {
		for (const appUrl of [APP_URL, "http://localhost:8787"]) {
			const custom = devEnv({ APP_URL: appUrl });
			const response = await checkout(custom);
			expect(response.status).toBe(200);
			const url = new URL(((await response.json()) as { checkout_url: string }).checkout_url);
			expect(`${url.origin}${url.pathname}`).toBe(`${appUrl}/dev/checkout`);
			const session = url.searchParams.get("session") ?? "";
			const info = await api(`${appUrl}/api/dev/checkout/${session}`, {}, custom);
			expect(info.status).toBe(200);
			expect(await info.json()).toMatchObject({ id: session, plan_code: "starter", paid: false });
		}
	});

	it("opens the admin routes with the development token only with dev tools on and ADMIN_TOKEN unset", async () => {
		expect((await devAdmin(devEnv({ ADMIN_TOKEN: "" }))).status).toBe(200);
		expect((await devAdmin(devEnv())).status).toBe(401);
		const wrong = await api(
			`${APP_URL}/api/admin/health`,
			{ headers: { authorization: "Bearer not-the-dev-token" } },
			devEnv({ ADMIN_TOKEN: "" }),
		);
		expect(wrong.status).toBe(401);
		expect((await devAdmin(envWith({ ADMIN_TOKEN: "" }))).status).toBe(503);
	});
});

function endpoint(over: Record<string, unknown> = {}) {
	return {
		id: uniqueId("we_"),
		object: "webhook_endpoint",
		url: `${APP_URL}/api/webhook/stripe`,
		status: "enabled",
		enabled_events: [...HANDLED_EVENT_TYPES],
		livemode: false,
		api_version: null,
		...over,
	};
}

/** An isolated test-mode Stripe account at the stand-in with these webhook endpoints. */
async function stripeAccount(endpoints: unknown[]) {
	const key = `sk_test_${uniqueId("guards")}`;
	await standInControl("webhook_endpoints", { key, endpoints });
	return envWith({ STRIPE_SECRET_KEY: key });
}

describe("doctor", () => {
	it("fails the admin_token check for a token shorter than 32 characters", async () => {
		const short = "short-admin-token-123";
		const result = await doctor(envWith({ ADMIN_TOKEN: short }), short);
		expect(check(result, "admin_token")).toMatchObject({
			ok: false,
			hint: expect.stringContaining(
				`ADMIN_TOKEN has ${short.length} characters; use at least ${MIN_ADMIN_TOKEN_LENGTH}`,
			),
		});
		expect(result.ok).toBe(false);
		const enough = "x".repeat(MIN_ADMIN_TOKEN_LENGTH);
		expect(check(await doctor(envWith({ ADMIN_TOKEN: enough }), enough), "admin_token")?.ok).toBe(true);
	});

	it("warns about a webhook endpoint pinned to an API version older than the invoice parent shape", async () => {
		for (const version of ["2024-06-20", "2025-02-24.acacia"]) {
			const result = await doctor(await stripeAccount([endpoint({ api_version: version })]));
			expect(check(result, "stripe_webhook_endpoint")).toEqual({
				name: "stripe_webhook_endpoint",
				ok: true,
				warn: true,
				hint: expect.stringContaining(`API version ${version}, older than ${INVOICE_PARENT_API_VERSION}`),
			});
			expect(result.ok).toBe(true);
		}
	});

	it("does not warn about a current endpoint API version", async () => {
		for (const version of [INVOICE_PARENT_API_VERSION, STRIPE_API_VERSION, null]) {
			const result = await doctor(await stripeAccount([endpoint({ api_version: version })]));
			const endpointCheck = check(result, "stripe_webhook_endpoint");
			expect(endpointCheck).toMatchObject({ ok: true });
			expect(endpointCheck).not.toHaveProperty("warn");
		}
	});
});

/** An invoice event as an endpoint pinned before 2025-03-31.basil sends it: no `parent`. */
function legacyInvoiceEvent(
	type: "invoice.paid" | "invoice.payment_failed",
	client: ClientRef,
	created: number,
	subscription: string | { id: string } = devIds(client.clientId).subscription,
) {
	const { parent: _parent, ...legacy } = invoiceEvent(type, client, { created }).data.object;
	return {
		...envelope(
			type,
			{ ...legacy, subscription, subscription_details: { metadata: { client_id: client.clientId } } },
			{ created },
		),
		api_version: "2024-06-20",
	};
}

async function invoiceColumns(clientId: string) {
	return env.DB.prepare(
		"select invoice_status, invoice_event_at, subscription_status, payment_status from clients where id = ?",
	)
		.bind(clientId)
		.first<Record<string, string | number | null>>();
}

describe("invoice events in the pre-basil shape", () => {
	it("reads the client and subscription from the top-level fields", () => {
		const client = { clientId: crypto.randomUUID(), crn: "CRN-TEST-0000", sessionId: "cs_test_x" };
		const at = nowSeconds();
		const paid = parseEvent(payloadOf(legacyInvoiceEvent("invoice.paid", client, at)));
		expect(paid && changeFromEvent(paid)).toMatchObject({
			clientId: client.clientId,
			subscriptionId: devIds(client.clientId).subscription,
			invoice: { status: "paid", eventAt: at },
			confirmsPayment: true,
		});
		const failed = parseEvent(
			payloadOf(legacyInvoiceEvent("invoice.payment_failed", client, at, { id: "sub_expanded123" })),
		);
		expect(failed && changeFromEvent(failed)).toMatchObject({
			clientId: client.clientId,
			subscriptionId: "sub_expanded123",
			invoice: { status: "payment_failed", eventAt: at },
			confirmsPayment: false,
		});
	});

	it("records a legacy invoice.payment_failed and then invoice.paid on the client, harming nothing", async () => {
		const { client, job } = await paidClient();
		const before = await invoiceColumns(client.clientId);
		expect(before).toMatchObject({ invoice_status: null, subscription_status: "active", payment_status: "paid" });
		const at = nowSeconds();

		const failed = legacyInvoiceEvent("invoice.payment_failed", client, at);
		expect((await postWebhook(payloadOf(failed))).status).toBe(200);
		expect(await invoiceColumns(client.clientId)).toEqual({
			invoice_status: "payment_failed",
			invoice_event_at: at,
			subscription_status: "active",
			payment_status: "paid",
		});
		const ledger = await env.DB.prepare("select client_id from webhook_events where id = ?")
			.bind(failed.id)
			.first<{ client_id: string }>();
		expect(ledger?.client_id).toBe(client.clientId);

		const paid = legacyInvoiceEvent("invoice.paid", client, at + 1);
		expect((await postWebhook(payloadOf(paid))).status).toBe(200);
		expect(await invoiceColumns(client.clientId)).toMatchObject({ invoice_status: "paid", invoice_event_at: at + 1 });

		// Still one job, completed once, and one welcome email.
		expect(await jobOf(client.clientId)).toMatchObject({ id: job.id, state: "WELCOME_EMAIL_SENT" });
		expect(await countOf("outbox", { to_address: client.email })).toBe(1);
	});
});
