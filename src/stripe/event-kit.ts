// Stripe events as Stripe sends them, for whatever plays Stripe here: the dev
// checkout's "Pay", the tests and the benches. Object shapes follow Stripe's API
// fixtures at STRIPE_API_VERSION; signing is Stripe's scheme, with Web Crypto.
import { STRIPE_API_VERSION } from "./api-version.ts";
import { CHECKOUT_SESSION } from "./fixtures/checkout-session.ts";
import { INVOICE } from "./fixtures/invoice.ts";
import { CHARGE, DISPUTE, REFUND } from "./fixtures/money-back.ts";
import { SUBSCRIPTION } from "./fixtures/subscription.ts";
import { signStripePayload } from "./signature.ts";

export type StripeObject = Record<string, unknown>;

/** `evt_dev_…`: an event id of our own, never one Stripe could have sent. */
export function devEventId(): string {
	return `evt_dev_${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`;
}

/** The customer and subscription a dev checkout gives a client, named after it so a later event can find them. */
export function devIds(clientId: string): { customer: string; subscription: string } {
	const short = clientId.replace(/-/g, "").slice(0, 14);
	return { customer: `cus_dev_${short}`, subscription: `sub_dev_${short}` };
}

export interface EventOptions {
	created: number;
	id?: string;
	livemode?: boolean;
}

/** The event envelope: https://docs.stripe.com/api/events/object */
export function stripeEvent<T>(
	type: string,
	object: T,
	{ created, id = devEventId(), livemode = false }: EventOptions,
) {
	return {
		id,
		object: "event" as const,
		api_version: STRIPE_API_VERSION,
		created,
		data: { object },
		livemode,
		pending_webhooks: 1,
		request: { id: null, idempotency_key: null },
		type,
	};
}

export type StripeEvent<T = unknown> = ReturnType<typeof stripeEvent<T>>;

export function checkoutSession(fields: StripeObject & { id: string }) {
	return { ...CHECKOUT_SESSION, ...fields };
}

/** What a checkout of ours carries: the client, its plan and CRN (src/onboarding/checkout.ts sets the same). */
export interface CheckoutRef {
	clientId: string;
	crn: string;
	planCode: string;
	sessionId: string;
	email?: string;
	name?: string;
	/** More metadata, as a deployment tags its sessions. */
	metadata?: Record<string, string>;
}

export function checkoutMetadata(ref: CheckoutRef): Record<string, string> {
	return { client_id: ref.clientId, plan_code: ref.planCode, customer_reference: ref.crn, ...ref.metadata };
}

/** A subscription checkout the customer paid, as `checkout.session.completed` carries it. */
export function paidCheckoutSession(ref: CheckoutRef, created: number, overrides: StripeObject = {}) {
	const ids = devIds(ref.clientId);
	return checkoutSession({
		id: ref.sessionId,
		created,
		expires_at: created + 86_400,
		client_reference_id: ref.clientId,
		customer: ids.customer,
		customer_details: ref.email ? { email: ref.email, name: ref.name ?? null } : null,
		customer_email: ref.email ?? null,
		metadata: checkoutMetadata(ref),
		subscription: ids.subscription,
		status: "complete",
		payment_status: "paid",
		// A completed session has no page to open any more.
		url: null,
		...overrides,
	});
}

/** A Stripe list object (`object: "list"`) holding one item, at its own URL. */
function oneItemList<L extends object, I>(base: L, item: I, url: string) {
	return { ...base, data: [item], url };
}

export interface SubscriptionFields extends StripeObject {
	id: string;
	customer: string;
	status: string;
	created: number;
	metadata: Record<string, string>;
	price?: string;
}

export function subscription(fields: SubscriptionFields) {
	const { price, ...rest } = fields;
	const [item] = SUBSCRIPTION.items.data;
	const items = oneItemList(
		SUBSCRIPTION.items,
		{
			...item,
			subscription: fields.id,
			price: { ...item?.price, id: price ?? item?.price.id },
			current_period_start: fields.created,
			current_period_end: fields.created + 30 * 86_400,
		},
		`/v1/subscription_items?subscription=${fields.id}`,
	);
	return { ...SUBSCRIPTION, billing_cycle_anchor: fields.created, start_date: fields.created, items, ...rest };
}

/** The subscription a dev checkout makes for a client, under the name devIds gives it. */
export function devSubscription(clientId: string, status: string, created: number, metadata: Record<string, string>) {
	const ids = devIds(clientId);
	return subscription({ id: ids.subscription, customer: ids.customer, status, created, metadata });
}

export interface InvoiceFields extends StripeObject {
	id: string;
	customer: string;
	subscription: string;
	status: string;
	created: number;
	/** The subscription's metadata, which Stripe copies to the invoice's parent. */
	metadata: Record<string, string>;
}

/**
 * Since API version 2025-03-31.basil an invoice names its subscription under
 * `parent.subscription_details`, not at the top level.
 */
export function invoice({ subscription: sub, metadata, ...fields }: InvoiceFields) {
	const [line] = INVOICE.lines.data;
	const lines = oneItemList(
		INVOICE.lines,
		{
			...line,
			invoice: fields.id,
			parent: {
				...line?.parent,
				subscription_item_details: { ...line?.parent.subscription_item_details, subscription: sub },
			},
		},
		`/v1/invoices/${fields.id}/lines`,
	);
	const parent = { ...INVOICE.parent, subscription_details: { metadata, subscription: sub } };
	return { ...INVOICE, effective_at: fields.created, lines, parent, ...fields };
}

export function charge(fields: StripeObject & { id: string; created: number }) {
	return { ...CHARGE, ...fields };
}

export function dispute(fields: StripeObject & { id: string; charge: string; created: number }) {
	return { ...DISPUTE, ...fields };
}

export function refund(fields: StripeObject & { id: string; charge: string; created: number }) {
	return { ...REFUND, ...fields };
}

/** Stripe posts pretty-printed JSON; these exact bytes are what gets signed and sent. */
export function eventPayload(event: unknown): string {
	return JSON.stringify(event, null, 2);
}

/** A delivery of `event`: its body and the `Stripe-Signature` header (`t=…,v1=…`) for `secret` at `timestamp`. */
export async function signedEvent(
	event: unknown,
	secret: string,
	timestamp: number,
): Promise<{ payload: string; signature: string }> {
	const payload = eventPayload(event);
	return { payload, signature: await signStripePayload(payload, secret, timestamp) };
}
