// GET /api/v1/access: what the operator's app learns about a customer, by email
// or by CRN, behind APP_API_KEY; and the configuration of the app's webhook
// endpoint and key.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type Config, parseConfig } from "../src/config";
import type { AccessByEmail } from "../src/operations/access-api";
import { appChecks } from "../src/operations/doctor-app";
import { ADMIN_TOKEN, api, captureLogs, envWith, paidClient, uniqueId } from "./support/helpers";

const APP_API_KEY = "app-api-key-for-tests-0123456789abcdef";
const withKey = envWith({ APP_API_KEY });
const APP_CHECKS = ["app_webhook", "app_api_key"];

function access(path: string, key: string | null = APP_API_KEY, opts: { env?: Env; ip?: string } = {}) {
	const headers = new Headers();
	if (key !== null) headers.set("authorization", `Bearer ${key}`);
	if (opts.ip) headers.set("cf-connecting-ip", opts.ip);
	return api(`/api/v1${path}`, { headers }, opts.env ?? withKey);
}

async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
	return (await response.json()) as T;
}

async function cancelPlan(clientId: string) {
	await env.DB.prepare("update clients set subscription_status = 'canceled' where id = ?").bind(clientId).run();
}

describe("the access API", () => {
	it("answers a paid customer's access by email", async () => {
		const { client } = await paidClient();
		const response = await access(`/access?email=${encodeURIComponent(client.email)}`);
		expect(response.status).toBe(200);
		expect(await json(response)).toEqual({
			email: client.email,
			access: "active",
			plans: [
				{
					crn: client.crn,
					plan_code: "starter",
					status: "active",
					access: "active",
					reason: "paid",
					current_period_end: null,
				},
			],
		});
	});

	it("answers one plan by CRN, whatever the case of the CRN", async () => {
		const { client } = await paidClient();
		const expected = {
			crn: client.crn,
			email: client.email,
			plan_code: "starter",
			status: "active",
			access: "active",
			reason: "paid",
			current_period_end: null,
		};
		expect(await json(await access(`/access/${client.crn}`))).toEqual(expected);
		expect(await json(await access(`/access/${client.crn.toLowerCase()}`))).toEqual(expected);
	});

	it("gives an email with two plans the best access, best plan first", async () => {
		const { client: first } = await paidClient();
		const { client: second } = await paidClient({ email: first.email, plan_code: "pro" });
		// The newer plan ends: the older, still paid plan decides.
		await cancelPlan(second.clientId);
		const body = await json<AccessByEmail>(await access(`/access?email=${encodeURIComponent(first.email)}`));
		expect(body.access).toBe("active");
		expect(body.plans.map((p) => [p.crn, p.plan_code, p.access, p.reason])).toEqual([
			[first.crn, "starter", "active", "paid"],
			[second.crn, "pro", "ended", "canceled"],
		]);
	});

	it("reports the plan's own access when every plan has ended", async () => {
		const { client } = await paidClient();
		await cancelPlan(client.clientId);
		const body = await json<AccessByEmail>(await access(`/access?email=${encodeURIComponent(client.email)}`));
		expect(body).toMatchObject({
			access: "ended",
			plans: [{ crn: client.crn, status: "canceled", reason: "canceled" }],
		});
	});

	it("answers none with no plans for an unknown email", async () => {
		const email = `${uniqueId("nobody")}@example.com`;
		const response = await access(`/access?email=${encodeURIComponent(email)}`);
		expect(response.status).toBe(200);
		expect(await json(response)).toEqual({ email, access: "none", plans: [] });
	});

	it("matches an email whatever its case and surrounding spaces", async () => {
		const { client } = await paidClient();
		const typed = `  ${client.email.toUpperCase()} `;
		const body = await json<AccessByEmail>(await access(`/access?email=${encodeURIComponent(typed)}`));
		expect(body.email).toBe(client.email);
		expect(body.access).toBe("active");
		expect(body.plans.map((p) => p.crn)).toEqual([client.crn]);
	});

	it("refuses a missing or malformed email with 400", async () => {
		for (const query of ["", "?email=", "?email=not-an-address"]) {
			const response = await access(`/access${query}`);
			expect(response.status).toBe(400);
			expect(await json(response)).toMatchObject({ error: "invalid_email" });
		}
	});

	it("answers 404 not_found for an unknown CRN", async () => {
		const response = await access("/access/CRN-ZZZZ-ZZZZ");
		expect(response.status).toBe(404);
		expect(await json(response)).toMatchObject({ error: "not_found" });
	});

	it("is never cached", async () => {
		const { client } = await paidClient();
		for (const path of [`/access?email=${encodeURIComponent(client.email)}`, `/access/${client.crn}`]) {
			const response = await access(path);
			expect(response.status).toBe(200);
			expect(response.headers.get("cache-control")).toBe("no-store");
		}
	});
});

describe("the access API's key", () => {
	it.each([
		["no key", null],
		["a wrong key", "app-api-key-for-tests-0123456789abcdeX"],
		["the admin token", ADMIN_TOKEN],
	])("answers 401 with no data to %s", async (_label, key) => {
		const { client } = await paidClient();
		for (const path of [`/access?email=${encodeURIComponent(client.email)}`, `/access/${client.crn}`]) {
			const response = await access(path, key);
			expect(response.status).toBe(401);
			const body = await response.text();
			expect(JSON.parse(body)).toEqual({ error: "unauthorized", message: expect.any(String) });
			expect(body).not.toContain(client.email);
			expect(body).not.toContain(client.crn);
		}
	});

	it("answers 503 access_api_disabled while APP_API_KEY is unset", async () => {
		const response = await access("/access?email=someone%40example.com", APP_API_KEY, { env });
		expect(response.status).toBe(503);
		expect(await json(response)).toMatchObject({ error: "access_api_disabled" });
	});

	it("stays off with a short key or the admin token as APP_API_KEY", async () => {
		for (const key of ["short-key", ADMIN_TOKEN]) {
			const response = await access("/access?email=someone%40example.com", key, { env: envWith({ APP_API_KEY: key }) });
			expect(response.status).toBe(503);
		}
	});

	it("limits failed attempts per address, and a right key from it still works", async () => {
		const b = crypto.getRandomValues(new Uint8Array(2));
		const ip = `198.18.${b[0]}.${b[1]}`;
		const logs = captureLogs();
		const statuses: number[] = [];
		for (let i = 0; i < 11; i++) statuses.push((await access("/access/CRN-AAAA-AAAA", `guess-${i}`, { ip })).status);
		logs.restore();
		expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
		expect(statuses[10]).toBe(429);
		expect(logs.events("RATE_LIMITED")[0]).toMatchObject({ limiter: "ACCESS_AUTH_LIMITER" });
		expect(logs.lines.join("\n")).not.toContain("guess-");
		expect((await access("/access/CRN-AAAA-AAAA", APP_API_KEY, { ip })).status).toBe(404);
	});
});

describe("the app's configuration", () => {
	const SECRET = `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
	const appProblems = (config: Config) => config.problems.filter((p) => APP_CHECKS.includes(p.name));
	const problemsOf = (overrides: Partial<Record<keyof Env, string>>) => appProblems(parseConfig(envWith(overrides)));

	it("takes a webhook URL with a well-formed secret, and a long key", () => {
		const config = parseConfig(
			envWith({ APP_WEBHOOK_URL: "https://app.example.com/hooks", APP_WEBHOOK_SECRET: SECRET, APP_API_KEY }),
		);
		expect(config.app).toEqual({
			webhookUrl: "https://app.example.com/hooks",
			webhookSecret: SECRET,
			apiKey: APP_API_KEY,
		});
		expect(appProblems(config)).toEqual([]);
		expect(appChecks(config).map((c) => [c.name, c.ok])).toEqual([
			["app_webhook", true],
			["app_api_key", true],
		]);
	});

	it("passes the checks with a hint when nothing is set", () => {
		const config = parseConfig(envWith({}));
		expect(config.app).toEqual({});
		const checks = appChecks(config);
		expect(checks.every((c) => c.ok)).toBe(true);
		expect(checks.map((c) => c.hint).join(" ")).toMatch(/APP_WEBHOOK_URL is not set.*APP_API_KEY is not set/);
	});

	it("flags a webhook URL without a well-formed secret", () => {
		expect(problemsOf({ APP_WEBHOOK_URL: "https://app.example.com/hooks" })).toEqual([
			{ name: "app_webhook", hint: expect.stringContaining("APP_WEBHOOK_SECRET is not") },
		]);
		const malformed = parseConfig(
			envWith({ APP_WEBHOOK_URL: "https://app.example.com/hooks", APP_WEBHOOK_SECRET: "whsec_tooShort" }),
		);
		expect(malformed.app.webhookSecret).toBeUndefined();
		expect(appChecks(malformed)[0]).toMatchObject({ name: "app_webhook", ok: false });
	});

	it("allows a plain http receiver only on loopback outside live mode", () => {
		expect(problemsOf({ APP_WEBHOOK_URL: "http://127.0.0.1:8788", APP_WEBHOOK_SECRET: SECRET })).toEqual([]);
		expect(problemsOf({ APP_WEBHOOK_URL: "http://app.example.com/hooks", APP_WEBHOOK_SECRET: SECRET })).toEqual([
			{ name: "app_webhook", hint: expect.stringContaining("plain http") },
		]);
		const live = { STRIPE_SECRET_KEY: "sk_live_accessApiSuite000000000000", APP_WEBHOOK_SECRET: SECRET };
		for (const url of ["http://127.0.0.1:8788", "https://localhost/hooks", "http://app.example.com/hooks"]) {
			const config = parseConfig(envWith({ ...live, APP_WEBHOOK_URL: url }));
			expect(config.problems.filter((p) => p.name === "app_webhook")).toHaveLength(1);
			expect(config.app.webhookUrl).toBeUndefined();
		}
		expect(problemsOf({ ...live, APP_WEBHOOK_URL: "https://app.example.com/hooks" })).toEqual([]);
	});

	it("flags an API key shorter than 32 characters or equal to ADMIN_TOKEN", () => {
		for (const key of ["0123456789abcdef0123456789abcde", ADMIN_TOKEN]) {
			const config = parseConfig(envWith({ APP_API_KEY: key }));
			expect(config.app.apiKey).toBeUndefined();
			expect(appProblems(config)).toEqual([{ name: "app_api_key", hint: expect.any(String) }]);
			expect(appChecks(config)[1]).toMatchObject({ name: "app_api_key", ok: false });
		}
	});
});
