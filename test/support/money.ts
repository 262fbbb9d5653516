// Money moving after the first payment, as Stripe delivers it (refunds,
// disputes, renewal invoices, trials, subscriptions made elsewhere), and what a
// logged-in customer then reads about each plan on /api/portal/me.
import { env } from "cloudflare:workers";
import type { PlanView } from "../../src/onboarding/subscriptions";
import { charge, dispute, invoice, subscription } from "../../src/stripe/event-kit";
import { outboxToken, waitFor, waitForJobState } from "./factories";
import { login, setPassword } from "./portal";
import { seedStripe, standInControl } from "./stand-in";
import { ONE_TIME_PRICE } from "./stand-in/stripe";
import { type ClientRef, devIds, type EventOptions, envelope, nowSeconds, payloadOf, uniqueId } from "./stripe-events";
import { TEST_SECRETS } from "./test-secrets";
import { api, envWith, postWebhook } from "./worker";

export const PASSWORD = "a long and unusual passphrase";
export const STRIPE_KEY = TEST_SECRETS.STRIPE_SECRET_KEY;
export { DAY_MS } from "../../src/rules/access";

/** A recurring price only the trial plan sells, so no other plan shares it. */
export const TRIAL_PRICE = "price_trial_monthly";
export const TRIAL_DAYS = 14;

/** wrangler.toml's local plans, plus a one-time plan and a plan with a trial. */
export const MONEY_PLANS = {
	starter: { price: "price_starter_monthly", name: "Starter", price_display: "$29 / month" },
	pro: { price: "price_pro_monthly", name: "Pro", price_display: "$99 / month" },
	lifetime: { price: ONE_TIME_PRICE, name: "Lifetime", price_display: "$299 once", mode: "payment" },
	trial: { price: TRIAL_PRICE, name: "Trial", price_display: "$19 / month", trial_days: TRIAL_DAYS },
};

/** One object for the whole file: the Worker builds its config once per environment object. */
export const MONEY_ENV = envWith({ PLANS: JSON.stringify(MONEY_PLANS) });

/** Stripe's account knows the trial plan's price (Checkout refuses an unknown one). */
export function addTrialPrice() {
	return standInControl("prices", { key: STRIPE_KEY, prices: [{ id: TRIAL_PRICE }] });
}

/** Sends a signed event to the real webhook route; throws unless Stripe would see a 200. */
export async function deliver(event: unknown, customEnv?: Env) {
	const response = await postWebhook(payloadOf(event), { env: customEnv });
	if (response.status !== 200) throw new Error(`webhook answered ${response.status}: ${await response.text()}`);
	return (await response.json()) as { received: boolean; duplicate?: boolean; ignored?: boolean };
}

/** Provisioned, password set with the welcome email's link, logged in. */
export async function loggedIn(client: { clientId: string; email: string }) {
	await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
	const set = await setPassword(await outboxToken(client.email), PASSWORD);
	if (set.status !== 200) throw new Error(`set password failed: ${set.status}`);
	const { cookie } = await login(client.email, PASSWORD);
	if (!cookie) throw new Error("login failed");
	return cookie;
}

export interface MeBody {
	email: string;
	subscriptions: PlanView[];
}

/** GET /api/portal/me as the dashboard calls it. */
export async function meOf(cookie: string, customEnv?: Env): Promise<MeBody> {
	const response = await api("/api/portal/me", { headers: { cookie } }, customEnv);
	if (response.status !== 200) throw new Error(`/me answered ${response.status}`);
	return (await response.json()) as MeBody;
}

/** The plan with this CRN on /api/portal/me. */
export async function planOf(cookie: string, crn: string, customEnv?: Env): Promise<PlanView> {
	const plan = (await meOf(cookie, customEnv)).subscriptions.find((s) => s.crn === crn);
	if (!plan) throw new Error(`plan ${crn} not on /me`);
	return plan;
}

/** The outbox emails to `email` whose subject starts with `subject`, oldest first. */
export async function emailsAbout(email: string, subject: string) {
	const { results } = await env.DB.prepare(
		"select subject, text_body, idempotency_key from outbox where to_address = ? and subject like ? order by created_at, rowid",
	)
		.bind(email, `${subject}%`)
		.all<{ subject: string; text_body: string; idempotency_key: string }>();
	return results;
}

export function waitForEmailsAbout(email: string, subject: string, count: number) {
	return waitFor(async () => {
		const found = await emailsAbout(email, subject);
		return found.length >= count ? found : undefined;
	});
}

/** A stored column of a client row. */
export function clientColumn(clientId: string, column: string) {
	if (!/^[a-z_]+$/.test(column)) throw new Error(`bad column ${column}`);
	return env.DB.prepare(`select ${column} as v from clients where id = ?`).bind(clientId).first<unknown>("v");
}

/** How often Stripe delivered this event id (the ledger row's delivery count). */
export function deliveriesOf(eventId: string) {
	return env.DB.prepare("select deliveries from webhook_events where id = ?").bind(eventId).first<number>("deliveries");
}

export const paymentIntentId = () => uniqueId("pi_");

/** `charge.refunded` for a charge of `amount` on `paymentIntent`, `refundedAmount` of it back. */
export function chargeRefunded(
	paymentIntent: string | null,
	opts: { amount?: number; refunded?: number; created?: number } = {},
) {
	const amount = opts.amount ?? 2900;
	const refunded = opts.refunded ?? amount;
	const created = opts.created ?? nowSeconds();
	const object = charge({
		id: uniqueId("ch_"),
		created,
		payment_intent: paymentIntent,
		amount,
		amount_captured: amount,
		amount_refunded: refunded,
		refunded: refunded >= amount,
	});
	return envelope("charge.refunded", object, { created });
}

/** `charge.dispute.created` (status needs_response) or `.closed` (won or lost) for one dispute. */
export function disputeEvent(
	type: "charge.dispute.created" | "charge.dispute.closed",
	paymentIntent: string,
	opts: { disputeId: string; status?: string; created?: number },
) {
	const created = opts.created ?? nowSeconds();
	const object = dispute({
		id: opts.disputeId,
		charge: uniqueId("ch_"),
		created,
		payment_intent: paymentIntent,
		status: opts.status ?? (type === "charge.dispute.created" ? "needs_response" : "won"),
	});
	return envelope(type, object, { created });
}

export type InvoiceEventType = "invoice.paid" | "invoice.payment_failed" | "invoice.payment_action_required";

/** An invoice event of the client's subscription: a renewal unless `billingReason` says otherwise. */
export function renewalInvoice(
	type: InvoiceEventType,
	client: ClientRef,
	opts: { invoiceId: string; attempt?: number; created?: number; url?: string; billingReason?: string } & EventOptions,
) {
	const ids = devIds(client.clientId);
	const created = opts.created ?? nowSeconds();
	const object = invoice({
		id: opts.invoiceId,
		customer: ids.customer,
		subscription: ids.subscription,
		status: type === "invoice.paid" ? "paid" : "open",
		created,
		metadata: { client_id: client.clientId },
		billing_reason: opts.billingReason ?? "subscription_cycle",
		attempt_count: opts.attempt ?? 1,
		hosted_invoice_url: opts.url ?? `https://invoice.stripe.com/i/acct_test/test_${opts.invoiceId}`,
		amount_paid: type === "invoice.paid" ? 2900 : 0,
		amount_remaining: type === "invoice.paid" ? 0 : 2900,
	});
	return envelope(type, object, { ...opts, created });
}

/**
 * A subscription event for `subscriptionId`, in Stripe's shape: a price, a
 * status, metadata (none for one made outside Checkout) and, for a trial, its end.
 */
export function subscriptionChange(
	type:
		| "customer.subscription.created"
		| "customer.subscription.updated"
		| "customer.subscription.deleted"
		| "customer.subscription.trial_will_end",
	fields: {
		subscriptionId: string;
		customer: string;
		status: string;
		price?: string;
		metadata?: Record<string, string>;
		trialEnd?: number;
		created?: number;
	},
	opts: EventOptions = {},
) {
	const created = opts.created ?? fields.created ?? nowSeconds();
	const object = subscription({
		id: fields.subscriptionId,
		customer: fields.customer,
		status: fields.status,
		created,
		metadata: fields.metadata ?? {},
		price: fields.price,
		trial_start: fields.trialEnd ? created : null,
		trial_end: fields.trialEnd ?? null,
	});
	return envelope(type, object, { ...opts, created });
}

/** Stripe's link from a payment intent to a paid invoice of `subscriptionId` (how a renewal charge is placed). */
export async function seedRenewalPayment(customer: string, subscriptionId: string, paymentIntent: string) {
	const invoiceId = uniqueId("in_");
	await seedStripe(STRIPE_KEY, {
		invoices: [
			{ id: invoiceId, customer, subscription: subscriptionId, status: "paid", billing_reason: "subscription_cycle" },
		],
		invoicePayments: [{ invoice: invoiceId, payment_intent: paymentIntent }],
	});
	return invoiceId;
}

/** A customer Stripe knows, and a subscription made for them outside Checkout. */
export async function seedOutsideSubscription(opts: {
	status: string;
	price?: string;
	metadata?: Record<string, string>;
}) {
	const email = `${uniqueId("sales")}@example.com`;
	const customer = uniqueId("cus_");
	const subscriptionId = uniqueId("sub_");
	await seedStripe(STRIPE_KEY, {
		customers: [{ id: customer, email, name: "Grace Hopper" }],
		subscriptions: [
			{
				id: subscriptionId,
				customer,
				status: opts.status,
				price: opts.price ?? "price_pro_monthly",
				metadata: opts.metadata,
			},
		],
	});
	return { email, customer, subscriptionId };
}

/** Moves a seeded subscription on, as Stripe's own record of it changes. */
export function reseedSubscription(s: { customer: string; subscriptionId: string }, status: string, price: string) {
	return seedStripe(STRIPE_KEY, { subscriptions: [{ id: s.subscriptionId, customer: s.customer, status, price }] });
}
