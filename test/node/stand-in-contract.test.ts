// The provider rules every user of the stand-in relies on, pinned by plain HTTP:
// Stripe's rate limit, idempotency and pagination errors, Checkout's refusals,
// and the reads that follow money back (invoice payments → invoice →
// subscription, customers, deleted ones, 404s); Resend's idempotency,
// in-flight conflicts, rate limit and slow answers. A stand-in may grow kinder
// only by breaking one of these.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { standInClient } from "../support/stand-in/client.ts";
import { startStandIn } from "../support/stand-in/server.ts";
import { ONE_TIME_PRICE } from "../support/stand-in/stripe.ts";

let standIn: Awaited<ReturnType<typeof startStandIn>>;
let client: ReturnType<typeof standInClient>;
let keys = 0;
const freshKey = (prefix: string) => `${prefix}contract_${Date.now().toString(36)}_${++keys}`;

beforeAll(async () => {
	standIn = await startStandIn();
	client = standInClient(standIn.url);
});
afterAll(() => standIn?.close());

function createSession(key: string, idempotencyKey: string, params: Record<string, string>) {
	return fetch(`${client.stripeBase}/v1/checkout/sessions`, {
		method: "POST",
		headers: {
			authorization: `Bearer ${key}`,
			"content-type": "application/x-www-form-urlencoded",
			"idempotency-key": idempotencyKey,
		},
		body: new URLSearchParams({
			"line_items[0][quantity]": "1",
			success_url: "http://127.0.0.1/onboarding",
			...params,
		}).toString(),
	});
}

function checkout(key: string, idempotencyKey: string, email = "a@example.com") {
	return createSession(key, idempotencyKey, {
		mode: "subscription",
		"line_items[0][price]": "price_starter_monthly",
		customer_email: email,
	});
}

function get(key: string, path: string) {
	return fetch(`${client.stripeBase}${path}`, { headers: { authorization: `Bearer ${key}` } });
}

const paymentsOf = (intent: string) =>
	`/v1/invoice_payments?payment[type]=payment_intent&payment[payment_intent]=${intent}&limit=10`;

/** A renewal as Stripe holds it: customer, subscription, the invoice it paid and the payment intent that paid it. */
async function seedRenewal(key: string) {
	const ids = { customer: "cus_contract", subscription: "sub_contract", invoice: "in_contract", intent: "pi_contract" };
	await client.seedStripe(key, {
		customers: [{ id: ids.customer, email: "payer@example.com", name: "Pat Payer" }],
		subscriptions: [
			{
				id: ids.subscription,
				customer: ids.customer,
				status: "active",
				price: "price_pro_monthly",
				created: 1_750_000_000,
				current_period_end: 1_752_592_000,
				metadata: { client_id: "client_contract" },
			},
		],
		invoices: [{ id: ids.invoice, customer: ids.customer, subscription: ids.subscription, status: "paid" }],
		invoicePayments: [{ invoice: ids.invoice, payment_intent: ids.intent }],
	});
	return ids;
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

	it("finds the invoice a payment intent paid, and through it the subscription and customer", async () => {
		const key = freshKey("sk_test_");
		const ids = await seedRenewal(key);
		const payments = await get(key, paymentsOf(ids.intent));
		expect(payments.status).toBe(200);
		expect(await payments.json()).toMatchObject({
			object: "list",
			url: "/v1/invoice_payments",
			has_more: false,
			data: [
				{
					object: "invoice_payment",
					invoice: ids.invoice,
					payment: { type: "payment_intent", payment_intent: ids.intent },
					status: "paid",
				},
			],
		});
		const invoice = await get(key, `/v1/invoices/${ids.invoice}`);
		expect(await invoice.json()).toMatchObject({
			object: "invoice",
			id: ids.invoice,
			customer: ids.customer,
			parent: {
				type: "subscription_details",
				subscription_details: { subscription: ids.subscription, metadata: { client_id: "client_contract" } },
			},
		});
		const subscription = await get(key, `/v1/subscriptions/${ids.subscription}`);
		expect(await subscription.json()).toMatchObject({
			object: "subscription",
			status: "active",
			metadata: { client_id: "client_contract" },
			items: { data: [{ price: { id: "price_pro_monthly" }, current_period_end: 1_752_592_000 }] },
		});
		const customer = await get(key, `/v1/customers/${ids.customer}`);
		expect(await customer.json()).toMatchObject({ object: "customer", email: "payer@example.com", name: "Pat Payer" });
	});

	it("answers an empty list, not a 404, for a payment intent that paid no invoice", async () => {
		const key = freshKey("sk_test_");
		await seedRenewal(key);
		const response = await get(key, paymentsOf("pi_one_time"));
		expect(response.status).toBe(200);
		expect(await response.json()).toMatchObject({ object: "list", data: [], has_more: false });
	});

	it("keeps each account's objects to its own API key", async () => {
		const ids = await seedRenewal(freshKey("sk_test_"));
		const other = freshKey("sk_test_");
		expect(await (await get(other, paymentsOf(ids.intent))).json()).toMatchObject({ data: [] });
		expect((await get(other, `/v1/invoices/${ids.invoice}`)).status).toBe(404);
	});

	it("answers 404 resource_missing to an unknown customer, subscription or invoice", async () => {
		const key = freshKey("sk_test_");
		for (const path of ["/v1/customers/cus_nope", "/v1/subscriptions/sub_nope", "/v1/invoices/in_nope"]) {
			const response = await get(key, path);
			expect(response.status, path).toBe(404);
			expect(await response.json(), path).toMatchObject({
				error: { type: "invalid_request_error", code: "resource_missing" },
			});
		}
	});

	it("answers a deleted customer with deleted: true, and refuses to check it out", async () => {
		const key = freshKey("sk_test_");
		await client.seedStripe(key, { customers: [{ id: "cus_gone", deleted: true }] });
		const response = await get(key, "/v1/customers/cus_gone");
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual({ id: "cus_gone", object: "customer", deleted: true });
		const refused = await createSession(key, "idem-gone", {
			mode: "subscription",
			"line_items[0][price]": "price_starter_monthly",
			customer: "cus_gone",
		});
		expect(refused.status).toBe(400);
		expect(await refused.json()).toMatchObject({ error: { code: "resource_missing", param: "customer" } });
	});

	it("checks out a known customer, with a trial, in subscription mode", async () => {
		const key = freshKey("sk_test_");
		await client.seedStripe(key, { customers: [{ id: "cus_back", email: "back@example.com" }] });
		const response = await createSession(key, "idem-trial", {
			mode: "subscription",
			"line_items[0][price]": "price_starter_monthly",
			customer: "cus_back",
			"subscription_data[trial_period_days]": "14",
			"subscription_data[metadata][client_id]": "client_trial",
		});
		expect(response.status).toBe(200);
		expect(await response.json()).toMatchObject({ mode: "subscription", customer: "cus_back", customer_email: null });
	});

	it("checks out a one-time price in payment mode", async () => {
		const key = freshKey("sk_test_");
		const response = await createSession(key, "idem-once", {
			mode: "payment",
			"line_items[0][price]": ONE_TIME_PRICE,
			customer_email: "once@example.com",
			customer_creation: "always",
			"payment_intent_data[metadata][client_id]": "client_once",
		});
		expect(response.status).toBe(200);
		expect(await response.json()).toMatchObject({
			object: "checkout.session",
			mode: "payment",
			customer_creation: "always",
			status: "open",
			payment_status: "unpaid",
			payment_intent: null,
			subscription: null,
		});
	});

	it("refuses what Checkout refuses: 400 with Stripe's message", async () => {
		const key = freshKey("sk_test_");
		const subscriptionMode = { mode: "subscription", "line_items[0][price]": "price_starter_monthly" };
		const paymentMode = { mode: "payment", "line_items[0][price]": ONE_TIME_PRICE };
		await client.seedStripe(key, { customers: [{ id: "cus_both" }] });
		const cases: Array<[Record<string, string>, string, string]> = [
			[
				{ ...subscriptionMode, customer: "cus_both", customer_email: "both@example.com" },
				"customer",
				"You may only specify one of these parameters: customer, customer_email.",
			],
			[
				{ ...paymentMode, "subscription_data[metadata][client_id]": "c" },
				"subscription_data",
				"You can not pass `subscription_data` in `payment` mode.",
			],
			[
				{ ...subscriptionMode, "payment_intent_data[metadata][client_id]": "c" },
				"payment_intent_data",
				"You can not pass `payment_intent_data` in `subscription` mode.",
			],
			[
				{ ...subscriptionMode, customer_creation: "always" },
				"customer_creation",
				"`customer_creation` can only be used in `payment` mode.",
			],
			[
				{ ...subscriptionMode, "subscription_data[trial_period_days]": "0" },
				"subscription_data[trial_period_days]",
				"The minimum number of trial period days is 1.",
			],
			[
				{ ...paymentMode, "line_items[0][price]": "price_starter_monthly" },
				"line_items[0]",
				"You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.",
			],
			[{ ...subscriptionMode, customer: "cus_unknown" }, "customer", "No such customer: 'cus_unknown'"],
		];
		for (const [index, [params, param, message]] of cases.entries()) {
			const response = await createSession(key, `idem-refused-${index}`, params);
			expect(response.status, message).toBe(400);
			expect(await response.json(), message).toMatchObject({
				error: { type: "invalid_request_error", param, message },
			});
		}
	});

	it("holds idempotency to payment mode and customer checkouts, and saves no parameter error", async () => {
		const key = freshKey("sk_test_");
		await client.seedStripe(key, { customers: [{ id: "cus_idem" }] });
		const once = { mode: "payment", "line_items[0][price]": ONE_TIME_PRICE, customer: "cus_idem" };
		const first = await createSession(key, "idem-pay", once);
		const again = await createSession(key, "idem-pay", once);
		expect(again.headers.get("idempotent-replayed")).toBe("true");
		expect(((await again.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
		const other = await createSession(key, "idem-pay", { ...once, customer: "cus_other" });
		expect(other.status).toBe(400);
		expect(await other.json()).toMatchObject({ error: { type: "idempotency_error" } });
		// Stripe saves a result only once the endpoint ran: a refused request leaves its key free.
		const refused = await createSession(key, "idem-fixed", { ...once, customer_email: "x@example.com" });
		expect(refused.status).toBe(400);
		const fixed = await createSession(key, "idem-fixed", once);
		expect(fixed.status).toBe(200);
		expect(fixed.headers.get("idempotent-replayed")).toBeNull();
	});

	it("rate-limits the reads that follow money back like every other call", async () => {
		const key = freshKey("sk_test_");
		const ids = await seedRenewal(key);
		await client.control("stripe", { key, perSecond: 1 });
		expect((await get(key, `/v1/invoices/${ids.invoice}`)).status).toBe(200);
		const limited = await get(key, paymentsOf(ids.intent));
		expect(limited.status).toBe(429);
		expect(limited.headers.get("retry-after")).toBe("1");
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

	it("answers 429 daily_quota_exceeded or monthly_quota_exceeded to every send while a quota is spent", async () => {
		const mail = client.mailbox(freshKey("re_"));
		for (const quota of ["daily", "monthly"] as const) {
			await mail.configure({ quota });
			for (const key of ["q-1", "q-2"]) {
				const refused = await sendEmail(mail.key, key);
				expect(refused.status).toBe(429);
				expect(await refused.json()).toMatchObject({ name: `${quota}_quota_exceeded` });
			}
		}
		await mail.configure({ quota: null });
		expect((await sendEmail(mail.key, "q-1")).status).toBe(200);
		expect(await mail.emails()).toHaveLength(1);
	});

	it("lets a refused request keep its key on request: the same body is then sent, another body refused", async () => {
		const mail = client.mailbox(freshKey("re_"));
		await mail.configure({ keepRefusedKeys: true, fail: { status: 500, name: "application_error", times: 2 } });
		expect((await sendEmail(mail.key, "kept-1")).status).toBe(500);
		expect((await sendEmail(mail.key, "kept-2")).status).toBe(500);
		expect((await sendEmail(mail.key, "kept-1")).status).toBe(200);
		const other = await sendEmail(mail.key, "kept-2", "Another subject");
		expect(other.status).toBe(409);
		expect(await other.json()).toMatchObject({ name: "invalid_idempotent_request" });
		expect(await mail.emails()).toHaveLength(1);
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
