import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, captureLogs, envWith, standInControl, standInRequests, uniqueId } from "./support/helpers";

const checkout = (json: unknown, customEnv?: Env) => api("/api/checkout", { method: "POST", json }, customEnv);

describe("POST /api/checkout", () => {
	it("creates the client and a subscription Checkout Session carrying the client everywhere", async () => {
		const email = `${uniqueId("ada")}@example.com`;
		const response = await checkout({ email, name: "Ada Lovelace", plan_code: "pro" });
		expect(response.status).toBe(200);
		const body = (await response.json()) as {
			checkout_url: string;
			client_id: string;
			crn: string;
			status_url: string;
		};
		expect(body.checkout_url).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
		expect(body.crn).toMatch(/^CRN-[2-9A-Z]{4}-[2-9A-Z]{4}$/);
		expect(body.status_url).toMatch(/^http:\/\/127\.0\.0\.1:8787\/api\/portal\/setup-status\?t=[A-Za-z0-9_-]{43}$/);
		const token = new URL(body.status_url).searchParams.get("t");

		const [request] = await standInRequests(body.client_id);
		expect(request?.method).toBe("POST");
		expect(request?.path).toBe("/v1/checkout/sessions");
		expect(request?.headers["idempotency-key"]).toBe(`checkout-${body.client_id}`);
		expect(request?.headers["stripe-version"]).toBe("2026-10-28.endive");
		expect(request?.form).toMatchObject({
			mode: "subscription",
			"line_items[0][price]": "price_pro_monthly",
			"line_items[0][quantity]": "1",
			customer_email: email,
			client_reference_id: body.client_id,
			"metadata[client_id]": body.client_id,
			"metadata[plan_code]": "pro",
			"metadata[customer_reference]": body.crn,
			"subscription_data[metadata][client_id]": body.client_id,
			"subscription_data[metadata][plan_code]": "pro",
			"subscription_data[metadata][customer_reference]": body.crn,
			"metadata[onboarding_origin]": "http://127.0.0.1:8787",
			success_url: `http://127.0.0.1:8787/onboarding?t=${token}`,
			// Cancelling in Checkout returns to sign-up, which says nothing was charged.
			cancel_url: "http://127.0.0.1:8787/?canceled=1&plan=pro",
		});
		// The success URL carries our opaque token, never the session id.
		expect(request?.form.success_url).not.toContain("CHECKOUT_SESSION_ID");

		const row = await env.DB.prepare(
			"select email, plan_code, checkout_session_id, onboarding_token_hash from clients where id = ?",
		)
			.bind(body.client_id)
			.first<Record<string, string>>();
		expect(row).toMatchObject({ email, plan_code: "pro" });
		expect(row?.checkout_session_id).toMatch(/^cs_test_/);
		expect(row?.onboarding_token_hash).toMatch(/^[0-9a-f]{64}$/);
	});

	it("rejects an unknown plan with 400 unknown_plan", async () => {
		const response = await checkout({ email: "a@example.com", name: "A", plan_code: "enterprise" });
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({ error: "unknown_plan", fields: { plan_code: expect.any(String) } });
	});

	it("rejects a bad email and missing fields with field errors", async () => {
		const bad = await checkout({ email: "not-an-email", name: "A", plan_code: "starter" });
		expect(bad.status).toBe(400);
		expect(await bad.json()).toMatchObject({
			error: "invalid_request",
			fields: { email: "Enter a valid email address." },
		});
		const empty = await checkout({});
		expect(empty.status).toBe(400);
		expect(((await empty.json()) as { fields: Record<string, string> }).fields).toEqual({
			email: "Enter your email address.",
			name: "Enter your name.",
			plan_code: "Choose a plan.",
		});
	});

	it("rejects a body that is not a JSON object", async () => {
		for (const body of ["{", "[]", "42"]) {
			const response = await api("/api/checkout", {
				method: "POST",
				body,
				headers: { "content-type": "application/json" },
			});
			expect(response.status).toBe(400);
			expect(await response.json()).toMatchObject({ error: "invalid_json" });
		}
	});

	it("answers 502 when Stripe keeps failing past its retries, without leaking the key", async () => {
		const key = `sk_test_${uniqueId("failing")}`;
		const custom = envWith({ STRIPE_SECRET_KEY: key });
		await fetch(`${env.STAND_IN_URL}/__control/fail`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ key, path: "/v1/checkout/sessions", times: 10 }),
		});
		const logs = captureLogs();
		const response = await checkout({ email: "b@example.com", name: "B", plan_code: "starter" }, custom);
		logs.restore();
		expect(response.status).toBe(502);
		const text = await response.text();
		expect(JSON.parse(text)).toMatchObject({ error: "stripe_unavailable" });
		expect(text + logs.lines.join("\n")).not.toContain(key);
	});

	it("survives Stripe's rate limit: retries with backoff and one idempotency key, making one session", async () => {
		const key = `sk_test_${uniqueId("busy")}`;
		const custom = envWith({ STRIPE_SECRET_KEY: key });
		await standInControl("fail", { key, path: "/v1/checkout/sessions", times: 2, status: 429 });
		const response = await checkout({ email: "busy@example.com", name: "B", plan_code: "starter" }, custom);
		expect(response.status).toBe(200);
		const body = (await response.json()) as { client_id: string };
		const requests = (await standInRequests(body.client_id)).filter((r) => r.path === "/v1/checkout/sessions");
		expect(requests).toHaveLength(3);
		expect(new Set(requests.map((r) => r.headers["idempotency-key"]))).toEqual(new Set([`checkout-${body.client_id}`]));
		const sessions = await env.DB.prepare("select checkout_session_id from clients where id = ?")
			.bind(body.client_id)
			.first<{ checkout_session_id: string }>();
		expect(sessions?.checkout_session_id).toMatch(/^cs_test_/);
	});

	it("answers 503 checkout_busy with Retry-After when Stripe stays rate-limited, and logs no Stripe message", async () => {
		const key = `sk_test_${uniqueId("busier")}`;
		const custom = envWith({ STRIPE_SECRET_KEY: key });
		await standInControl("stripe", { key, perSecond: 0 });
		const logs = captureLogs();
		const response = await checkout({ email: "echo.me@example.com", name: "B", plan_code: "starter" }, custom);
		logs.restore();
		expect(response.status).toBe(503);
		expect(response.headers.get("retry-after")).toBe("5");
		expect(await response.json()).toEqual({
			error: "checkout_busy",
			message: "We're busy right now. Please try again in a moment.",
		});
		expect(logs.events("CHECKOUT_FAILED")[0]).toEqual({ event: "CHECKOUT_FAILED", status: 429, code: "rate_limit" });
		expect(logs.lines.join("\n")).not.toContain("echo.me");
	});

	it("answers 503 when no Stripe key is configured outside development", async () => {
		const response = await checkout(
			{ email: "c@example.com", name: "C", plan_code: "starter" },
			envWith({ STRIPE_SECRET_KEY: "" }),
		);
		expect(response.status).toBe(503);
		expect(await response.json()).toMatchObject({ error: "checkout_unavailable" });
	});

	it("lists the plans for the sign-up page", async () => {
		const response = await api("/api/plans");
		expect(await response.json()).toEqual({
			plans: [
				{ code: "starter", name: "Starter", price: "$29 / month" },
				{ code: "pro", name: "Pro", price: "$99 / month" },
			],
		});
	});
});
