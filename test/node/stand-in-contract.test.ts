// The provider rules every user of the stand-in relies on, pinned by plain HTTP:
// Stripe's rate limit, idempotency and pagination errors; Resend's idempotency,
// in-flight conflicts, rate limit and slow answers. A stand-in may grow kinder
// only by breaking one of these.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { standInClient } from "../support/stand-in/client.ts";
import { startStandIn } from "../support/stand-in/server.ts";

let standIn: Awaited<ReturnType<typeof startStandIn>>;
let client: ReturnType<typeof standInClient>;
let keys = 0;
const freshKey = (prefix: string) => `${prefix}contract_${Date.now().toString(36)}_${++keys}`;

beforeAll(async () => {
	standIn = await startStandIn();
	client = standInClient(standIn.url);
});
afterAll(() => standIn?.close());

function checkout(key: string, idempotencyKey: string, email = "a@example.com") {
	const form = new URLSearchParams({
		mode: "subscription",
		"line_items[0][price]": "price_starter_monthly",
		"line_items[0][quantity]": "1",
		customer_email: email,
		success_url: "http://127.0.0.1/onboarding",
	});
	return fetch(`${client.stripeBase}/v1/checkout/sessions`, {
		method: "POST",
		headers: {
			authorization: `Bearer ${key}`,
			"content-type": "application/x-www-form-urlencoded",
			"idempotency-key": idempotencyKey,
		},
		body: form.toString(),
	});
}

function sendEmail(key: string, idempotencyKey: string, subject = "Welcome") {
	return fetch(`${client.mailBase}/emails`, {
		method: "POST",
		headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "idempotency-key": idempotencyKey },
		body: JSON.stringify({ from: "a@example.com", to: ["b@example.com"], subject, text: "Hello" }),
	});
}

describe("Stripe stand-in", () => {
	it("replays the first answer for the same key and parameters", async () => {
		const key = freshKey("sk_test_");
		const first = await checkout(key, "idem-1");
		const again = await checkout(key, "idem-1");
		expect(first.status).toBe(200);
		expect(again.status).toBe(200);
		expect(again.headers.get("idempotent-replayed")).toBe("true");
		expect(((await again.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
	});

	it("refuses the same key with other parameters: 400 idempotency_error", async () => {
		const key = freshKey("sk_test_");
		expect((await checkout(key, "idem-2")).status).toBe(200);
		const other = await checkout(key, "idem-2", "someone.else@example.com");
		expect(other.status).toBe(400);
		expect(await other.json()).toMatchObject({ error: { type: "idempotency_error" } });
	});

	it("answers 429 with Retry-After past the rate, before idempotency, and saves nothing against the key", async () => {
		const key = freshKey("sk_test_");
		await client.control("stripe", { key, perSecond: 1 });
		expect((await checkout(key, "idem-a")).status).toBe(200);
		const limited = await checkout(key, "idem-b");
		expect(limited.status).toBe(429);
		expect(limited.headers.get("retry-after")).toBe("1");
		expect(await limited.json()).toMatchObject({ error: { code: "rate_limit" } });
		// The replay of a key already used is limited too: the rate is checked first.
		expect((await checkout(key, "idem-a")).status).toBe(429);
		await new Promise((resolve) => setTimeout(resolve, 1_100));
		// The limited request left no answer behind: its key now runs for real.
		const later = await checkout(key, "idem-b");
		expect(later.status).toBe(200);
		expect(later.headers.get("idempotent-replayed")).toBeNull();
	});

	it("answers 400 resource_missing to an unknown starting_after", async () => {
		const key = freshKey("sk_test_");
		const response = await fetch(`${client.stripeBase}/v1/checkout/sessions?starting_after=cs_test_nope`, {
			headers: { authorization: `Bearer ${key}` },
		});
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({ error: { code: "resource_missing" } });
	});
});

describe("Resend stand-in", () => {
	it("replays the first answer for the same key and body, and delivers once", async () => {
		const mail = client.mailbox(freshKey("re_"));
		const first = await sendEmail(mail.key, "welcome-1");
		const again = await sendEmail(mail.key, "welcome-1");
		expect(first.status).toBe(200);
		expect(await again.json()).toEqual(await first.json());
		expect(await mail.emails()).toHaveLength(1);
	});

	it("refuses the same key with another body: 409 invalid_idempotent_request", async () => {
		const mail = client.mailbox(freshKey("re_"));
		expect((await sendEmail(mail.key, "welcome-2")).status).toBe(200);
		const other = await sendEmail(mail.key, "welcome-2", "Another subject");
		expect(other.status).toBe(409);
		expect(await other.json()).toMatchObject({ name: "invalid_idempotent_request" });
	});

	it("refuses a key still in flight: 409 concurrent_idempotent_requests", async () => {
		const mail = client.mailbox(freshKey("re_"));
		await mail.configure({ delayMs: 300 });
		const first = sendEmail(mail.key, "welcome-3");
		await new Promise((resolve) => setTimeout(resolve, 50));
		const second = await sendEmail(mail.key, "welcome-3");
		expect(second.status).toBe(409);
		expect(await second.json()).toMatchObject({ name: "concurrent_idempotent_requests" });
		expect((await first).status).toBe(200);
	});

	it("answers 429 rate_limit_exceeded with retry-after past the rate", async () => {
		const mail = client.mailbox(freshKey("re_"));
		await mail.configure({ perSecond: 1 });
		expect((await sendEmail(mail.key, "one")).status).toBe(200);
		const limited = await sendEmail(mail.key, "two");
		expect(limited.status).toBe(429);
		expect(limited.headers.get("retry-after")).toBe("1");
		expect(await limited.json()).toMatchObject({ name: "rate_limit_exceeded" });
	});

	it("answers slowly, having accepted the email before it answers", async () => {
		const mail = client.mailbox(freshKey("re_"));
		await mail.configure({ delayMs: 400 });
		const started = performance.now();
		const pending = sendEmail(mail.key, "slow");
		await new Promise((resolve) => setTimeout(resolve, 100));
		expect(await mail.emails()).toHaveLength(1);
		expect((await pending).status).toBe(200);
		expect(performance.now() - started).toBeGreaterThanOrEqual(380);
	});
});
