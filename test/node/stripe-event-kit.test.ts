// The event kit builds what Stripe sends: every field of Stripe's own fixtures is
// there, ids follow the dev scheme, and its signature is one the stripe SDK accepts.
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { STRIPE_API_VERSION } from "../../src/stripe/api-version.ts";
import {
	charge,
	checkoutSession,
	devEventId,
	devIds,
	devSubscription,
	dispute,
	invoice,
	paidCheckoutSession,
	refund,
	signedEvent,
	stripeEvent,
} from "../../src/stripe/event-kit.ts";
import chargeFixture from "../fixtures/stripe/charge.json" with { type: "json" };
import checkoutFixture from "../fixtures/stripe/checkout.session.json" with { type: "json" };
import disputeFixture from "../fixtures/stripe/dispute.json" with { type: "json" };
import eventFixture from "../fixtures/stripe/event.json" with { type: "json" };
import invoiceFixture from "../fixtures/stripe/invoice.json" with { type: "json" };
import refundFixture from "../fixtures/stripe/refund.json" with { type: "json" };
import subscriptionFixture from "../fixtures/stripe/subscription.json" with { type: "json" };

/** Every key path of `value` (arrays by their first element), e.g. "items.data[].price.id". */
function keyPaths(value: unknown, prefix = ""): string[] {
	if (Array.isArray(value)) return value.length > 0 ? keyPaths(value[0], `${prefix}[]`) : [];
	if (value === null || typeof value !== "object") return [];
	return Object.entries(value).flatMap(([k, v]) => {
		const path = prefix ? `${prefix}.${k}` : k;
		return [path, ...keyPaths(v, path)];
	});
}

const CLIENT = "6f1c2a4e-9b7d-4c3e-8a21-0d5f7e9b1c33";
const ids = devIds(CLIENT);
const created = 1_780_000_000;
const ref = {
	clientId: CLIENT,
	crn: "CRN-0001",
	planCode: "starter",
	sessionId: "cs_test_kit",
	email: "a@example.com",
};

describe("event kit shapes", () => {
	it.each([
		["event", stripeEvent("plan.created", {}, { created }), eventFixture],
		["checkout.session", checkoutSession({ id: "cs_test_x" }), checkoutFixture],
		["paid checkout.session", paidCheckoutSession(ref, created), checkoutFixture],
		["subscription", devSubscription(CLIENT, "active", created, { client_id: CLIENT }), subscriptionFixture],
		[
			"invoice",
			invoice({ id: "in_x", ...ids, status: "paid", created, metadata: { client_id: CLIENT } }),
			invoiceFixture,
		],
		["charge", charge({ id: "ch_x", created }), chargeFixture],
		["dispute", dispute({ id: "dp_x", charge: "ch_x", created }), disputeFixture],
		["refund", refund({ id: "re_x", charge: "ch_x", created }), refundFixture],
	])("builds a %s with every field Stripe's fixture has", (_name, built, fixture) => {
		expect(keyPaths(built)).toEqual(expect.arrayContaining(keyPaths(fixture)));
	});

	it("names the dev customer, subscription and event ids after the client", () => {
		expect(ids).toEqual({ customer: "cus_dev_6f1c2a4e9b7d4c", subscription: "sub_dev_6f1c2a4e9b7d4c" });
		expect(devEventId()).toMatch(/^evt_dev_[0-9a-f]{24}$/);
		expect(devEventId()).not.toBe(devEventId());
	});

	it("wraps an object in the envelope of the API version the worker speaks", () => {
		const event = stripeEvent("customer.subscription.updated", { id: "sub_x" }, { created, id: "evt_dev_1" });
		expect(event).toMatchObject({ id: "evt_dev_1", object: "event", api_version: STRIPE_API_VERSION, created });
		expect(event.data.object).toEqual({ id: "sub_x" });
	});

	it("fills a paid checkout with the client's metadata, customer and subscription", () => {
		const session = paidCheckoutSession(ref, created, { success_url: "http://127.0.0.1/onboarding?t=x" });
		expect(session).toMatchObject({
			id: "cs_test_kit",
			object: "checkout.session",
			client_reference_id: CLIENT,
			metadata: { client_id: CLIENT, plan_code: "starter", customer_reference: "CRN-0001" },
			customer: ids.customer,
			subscription: ids.subscription,
			customer_email: "a@example.com",
			status: "complete",
			payment_status: "paid",
			success_url: "http://127.0.0.1/onboarding?t=x",
			created,
		});
	});

	it("points a subscription's item at the subscription", () => {
		const sub = devSubscription(CLIENT, "past_due", created, { client_id: CLIENT });
		expect(sub).toMatchObject({ id: ids.subscription, customer: ids.customer, status: "past_due", created });
		expect(sub.items.data[0]?.subscription).toBe(ids.subscription);
	});

	it("names an invoice's subscription under parent.subscription_details, as API versions since basil do", () => {
		const inv = invoice({ id: "in_x", ...ids, status: "open", created, metadata: { client_id: CLIENT } });
		expect(inv.parent.subscription_details).toEqual({
			metadata: { client_id: CLIENT },
			subscription: ids.subscription,
		});
		expect(inv.subscription).toBeNull();
		expect(inv.lines.data[0]?.parent.subscription_item_details.subscription).toBe(ids.subscription);
	});
});

describe("event kit signature", () => {
	const secret = "whsec_kit_test_secret";
	const stripe = new Stripe("sk_test_kit");

	it("signs a delivery the stripe SDK verifies", async () => {
		const now = Math.floor(Date.now() / 1000);
		const event = stripeEvent("checkout.session.completed", paidCheckoutSession(ref, now), { created: now });
		const { payload, signature } = await signedEvent(event, secret, now);
		expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
		const verified = await stripe.webhooks.constructEventAsync(payload, signature, secret);
		expect(verified.id).toBe(event.id);
		expect(payload).toBe(JSON.stringify(event, null, 2));
	});

	it("signs nothing the SDK accepts under another secret", async () => {
		const now = Math.floor(Date.now() / 1000);
		const { payload, signature } = await signedEvent(stripeEvent("x", {}, { created: now }), secret, now);
		await expect(stripe.webhooks.constructEventAsync(payload, signature, "whsec_other")).rejects.toThrow(/signature/i);
	});
});
