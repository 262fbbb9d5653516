// The workerd tests' Stripe events: the event kit's real-shaped objects for a
// test client, signed with the stripe SDK's own test-header helper (an oracle
// independent of the product's signer), exactly as Stripe would deliver them.
import Stripe from "stripe";
import {
	devIds,
	devSubscription,
	eventPayload,
	invoice,
	type EventOptions as KitEventOptions,
	paidCheckoutSession,
	stripeEvent,
} from "../../src/stripe/event-kit";
import { TEST_SECRETS } from "./test-secrets";

export { devIds };

export const WEBHOOK_SECRET = TEST_SECRETS.STRIPE_WEBHOOK_SECRET_TEST;
/** The tests run on wrangler.toml's [env.local] vars. */
export const APP_URL = "http://127.0.0.1:8787";

const stripe = new Stripe(TEST_SECRETS.STRIPE_SECRET_KEY, { httpClient: Stripe.createFetchHttpClient() });
const cryptoProvider = Stripe.createSubtleCryptoProvider();

let seq = 0;
export function uniqueId(prefix: string): string {
	seq++;
	return `${prefix}${Date.now().toString(36)}${seq}${crypto.randomUUID().replace(/-/g, "").slice(0, 10)}`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export type EventOptions = Partial<KitEventOptions>;

export function envelope<T>(type: string, object: T, opts: EventOptions = {}) {
	return stripeEvent(type, object, { ...opts, created: opts.created ?? nowSeconds() });
}

export interface ClientRef {
	clientId: string;
	crn: string;
	sessionId: string;
	planCode?: string;
}

export function checkoutSessionObject(client: ClientRef, overrides: Record<string, unknown> = {}) {
	return paidCheckoutSession(
		{
			clientId: client.clientId,
			crn: client.crn,
			planCode: client.planCode ?? "starter",
			sessionId: client.sessionId,
			metadata: { onboarding_origin: APP_URL },
		},
		nowSeconds(),
		overrides,
	);
}

export function checkoutCompleted(client: ClientRef, overrides: Record<string, unknown> = {}, opts: EventOptions = {}) {
	return envelope("checkout.session.completed", checkoutSessionObject(client, overrides), opts);
}

export function subscriptionEvent(
	type: "customer.subscription.created" | "customer.subscription.updated" | "customer.subscription.deleted",
	client: ClientRef,
	status: string,
	opts: EventOptions = {},
) {
	const subscription = devSubscription(client.clientId, status, opts.created ?? nowSeconds(), {
		client_id: client.clientId,
	});
	return envelope(type, subscription, opts);
}

export function invoiceEvent(
	type: "invoice.paid" | "invoice.payment_failed" | "invoice.payment_action_required",
	client: ClientRef,
	opts: EventOptions = {},
	overrides: Record<string, unknown> = {},
) {
	const ids = devIds(client.clientId);
	const object = invoice({
		id: uniqueId("in_"),
		customer: ids.customer,
		subscription: ids.subscription,
		status: type === "invoice.paid" ? "paid" : "open",
		created: opts.created ?? nowSeconds(),
		metadata: { client_id: client.clientId },
	});
	return envelope(type, { ...object, ...overrides }, opts);
}

/** Stripe sends pretty-printed JSON; we sign and post these exact bytes. */
export const payloadOf = eventPayload;

export async function signatureFor(payload: string, secret: string = WEBHOOK_SECRET, timestamp = nowSeconds()) {
	return stripe.webhooks.generateTestHeaderStringAsync({ payload, secret, timestamp, cryptoProvider });
}
