// Real-shaped Stripe events from the fixtures, signed with the stripe SDK's own
// test-header helper, exactly as Stripe would deliver them.
import Stripe from "stripe";
import checkoutSessionFixture from "../fixtures/stripe/checkout.session.json";
import eventFixture from "../fixtures/stripe/event.json";
import invoiceFixture from "../fixtures/stripe/invoice.json";
import subscriptionFixture from "../fixtures/stripe/subscription.json";
import { TEST_SECRETS } from "./test-secrets";

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

export interface EventOptions {
	id?: string;
	created?: number;
	livemode?: boolean;
}

export function envelope<T>(type: string, object: T, opts: EventOptions = {}) {
	return {
		...eventFixture,
		id: opts.id ?? uniqueId("evt_"),
		created: opts.created ?? nowSeconds(),
		livemode: opts.livemode ?? false,
		type,
		data: { object },
	};
}

export interface ClientRef {
	clientId: string;
	crn: string;
	sessionId: string;
	planCode?: string;
}

export function checkoutSessionObject(client: ClientRef, overrides: Record<string, unknown> = {}) {
	return {
		...checkoutSessionFixture,
		id: client.sessionId,
		client_reference_id: client.clientId,
		metadata: {
			client_id: client.clientId,
			plan_code: client.planCode ?? "starter",
			customer_reference: client.crn,
			onboarding_origin: APP_URL,
		},
		customer: `cus_${client.clientId.slice(0, 8)}`,
		subscription: `sub_${client.clientId.slice(0, 8)}`,
		status: "complete",
		payment_status: "paid",
		...overrides,
	};
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
	return envelope(
		type,
		{
			...subscriptionFixture,
			id: `sub_${client.clientId.slice(0, 8)}`,
			customer: `cus_${client.clientId.slice(0, 8)}`,
			metadata: { client_id: client.clientId },
			status,
		},
		opts,
	);
}

export function invoiceEvent(
	type: "invoice.paid" | "invoice.payment_failed",
	client: ClientRef,
	opts: EventOptions = {},
) {
	return envelope(
		type,
		{
			...invoiceFixture,
			id: uniqueId("in_"),
			customer: `cus_${client.clientId.slice(0, 8)}`,
			status: type === "invoice.paid" ? "paid" : "open",
			parent: {
				...invoiceFixture.parent,
				subscription_details: {
					metadata: { client_id: client.clientId },
					subscription: `sub_${client.clientId.slice(0, 8)}`,
				},
			},
		},
		opts,
	);
}

/** Stripe sends pretty-printed JSON; we sign and post these exact bytes. */
export function payloadOf(event: unknown): string {
	return JSON.stringify(event, null, 2);
}

export async function signatureFor(payload: string, secret: string = WEBHOOK_SECRET, timestamp = nowSeconds()) {
	return stripe.webhooks.generateTestHeaderStringAsync({ payload, secret, timestamp, cryptoProvider });
}
