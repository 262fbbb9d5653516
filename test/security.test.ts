import { describe, expect, it } from "vitest";
import {
	api,
	captureLogs,
	checkoutCompleted,
	createClient,
	devIds,
	expectNoSecrets,
	payloadOf,
	postWebhook,
	uniqueId,
	waitForJobState,
} from "./support/helpers";

describe("security headers", () => {
	it("sends a strict CSP and the usual headers on API responses, errors included", async () => {
		for (const path of ["/api/health", "/api/nope", "/api/portal/setup-status"]) {
			const response = await api(path);
			expect(response.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
			expect(response.headers.get("x-content-type-options")).toBe("nosniff");
			expect(response.headers.get("referrer-policy")).toBe("no-referrer");
			expect(response.headers.get("strict-transport-security")).toContain("max-age=");
			expect(response.headers.get("cache-control")).toBe("no-store");
		}
		// The plan list is the one answer worth caching.
		expect((await api("/api/plans")).headers.get("cache-control")).toBe("public, max-age=60");
	});

	it("answers unknown routes with a JSON 404", async () => {
		const response = await api("/api/nope");
		expect(response.status).toBe(404);
		expect(await response.json()).toEqual({ error: "not_found", message: "No such route." });
	});
});

describe("rate limits", () => {
	it("answers 429 with Retry-After past the checkout limit, and keeps serving other clients", async () => {
		const ip = `198.51.100.${Math.floor(Math.random() * 250)}`;
		const attempt = (from: string) =>
			api("/api/checkout", {
				method: "POST",
				headers: { "cf-connecting-ip": from },
				json: { email: `${uniqueId("rl")}@example.com`, name: "R", plan_code: "starter" },
			});
		const statuses = [];
		for (let i = 0; i < 12; i++) statuses.push((await attempt(ip)).status);
		expect(statuses.slice(0, 10).every((s) => s === 200)).toBe(true);
		const logs = captureLogs();
		const limited = await attempt(ip);
		logs.restore();
		expect(limited.status).toBe(429);
		expect(limited.headers.get("retry-after")).toBe("60");
		expect(await limited.json()).toMatchObject({ error: "rate_limited" });
		expect(logs.events("RATE_LIMITED")[0]).toMatchObject({ limiter: "CHECKOUT_LIMITER" });
		expect((await attempt("203.0.113.9")).status).toBe(200);
	});

	it("limits login attempts per client IP", async () => {
		const ip = `192.0.2.${Math.floor(Math.random() * 250)}`;
		const statuses = [];
		for (let i = 0; i < 11; i++) {
			const response = await api("/api/portal/login", {
				method: "POST",
				headers: { "cf-connecting-ip": ip },
				json: { email: `x${i}@example.com`, password: "wrong password 123" },
			});
			statuses.push(response.status);
		}
		expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
		expect(statuses[10]).toBe(429);
	});
});

describe("no secret ever leaves", () => {
	it("keeps secrets, tokens and passwords out of every log line of a whole flow", async () => {
		const logs = captureLogs();
		const client = await createClient();
		await postWebhook(payloadOf(checkoutCompleted(client)));
		await postWebhook("tampered", { signature: "t=1,v1=00" });
		await api(`/api/portal/setup-status?t=${client.token}`);
		await api("/api/portal/login", { method: "POST", json: { email: client.email, password: "my password 12345" } });
		logs.restore();
		const all = logs.lines.join("\n");
		expectNoSecrets(all);
		expect(all).not.toContain(client.token);
		expect(all).not.toContain("my password 12345");
		expect(all).not.toContain("v1=");
		for (const line of logs.lines) expect(() => JSON.parse(line)).not.toThrow();
		for (const event of logs.events()) expect(Object.keys(event)[0]).toBe("event");
	});

	it("logs every field SPEC names for the webhook and provisioning events", async () => {
		const logs = captureLogs();
		const client = await createClient();
		const event = checkoutCompleted(client);
		await postWebhook(payloadOf(event));
		await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
		logs.restore();
		expect(logs.events("WEBHOOK_RECEIVED")[0]).toMatchObject({
			event_id: event.id,
			event_type: "checkout.session.completed",
			livemode: false,
			client_id: client.clientId,
			subscription_id: devIds(client.clientId).subscription,
			checkout_session_id: client.sessionId,
		});
		expect(logs.events("WEBHOOK_PROCESSED_OK")[0]).toMatchObject({
			event_id: event.id,
			event_type: "checkout.session.completed",
			client_id: client.clientId,
		});
		const mine = (name: string) => logs.events(name).find((e) => e.client_id === client.clientId);
		const enqueued = mine("PROVISIONING_ENQUEUED");
		expect(enqueued).toMatchObject({ client_id: client.clientId, checkout_session_id: client.sessionId });
		expect(enqueued?.job_id).toEqual(expect.any(String));
		expect(mine("PROVISIONING_STARTED")).toMatchObject({ job_id: enqueued?.job_id });
		expect(mine("PROVISIONING_COMPLETED")).toMatchObject({ job_id: enqueued?.job_id });
	});
});

describe("status route abuse limit", () => {
	it("answers 429 to an address that keeps guessing tokens, while its known token still works", async () => {
		const client = await createClient();
		const ip = `198.18.0.${Math.floor(Math.random() * 250)}`;
		const statuses = [];
		for (let i = 0; i < 31; i++) {
			const guess = crypto.randomUUID().replace(/-/g, "").padEnd(43, "x");
			statuses.push((await api(`/api/portal/setup-status?t=${guess}`, { headers: { "cf-connecting-ip": ip } })).status);
		}
		expect(statuses.slice(0, 30).every((s) => s === 404)).toBe(true);
		expect(statuses[30]).toBe(429);
		const own = await api(client.statusUrl, { headers: { "cf-connecting-ip": ip } });
		expect(own.status).toBe(200);
	});
});
