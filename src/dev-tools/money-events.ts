// Development tools: money moving on a plan (refunds, disputes, renewals,
// trials, cancellation) as the real-shaped Stripe events Stripe sends for each
// (https://docs.stripe.com/api/events/types), for the dev route to sign and
// post through the real webhook route. Only in local builds.
import type { Config } from "../config";
import { findClientByCrn } from "../db/clients";
import type { Db } from "../db/database";
import { openDisputeOf, recordDevPaymentIntent } from "../db/dev-tools";
import { type PlanView, planView } from "../onboarding/subscriptions";
import {
	charge,
	checkoutMetadata,
	devIds,
	dispute,
	invoice,
	type StripeEvent,
	stripeEvent,
	subscription,
} from "../stripe/event-kit";

export const DEV_MONEY_EVENTS = [
	"refund",
	"dispute_opened",
	"dispute_won",
	"dispute_lost",
	"renewal_failed",
	"renewal_needs_confirmation",
	"renewal_paid",
	"trial_ending",
	"canceled",
] as const;
export type DevMoneyEvent = (typeof DEV_MONEY_EVENTS)[number];

const DAY_S = 86_400;
const PRICE = 2900;

/** What a money event about one plan is built from: the names Stripe would give its objects. */
interface MoneyTarget {
	metadata: Record<string, string>;
	customer: string;
	subscription: string;
	paymentIntent: string;
	charge: string;
	/** The dispute a dispute event is about: a new one when opening, the open one when closing. */
	dispute: string;
	/** The dev stand-in for Stripe's hosted invoice page. */
	invoiceUrl: string;
	created: number;
}

type Built = { type: string; object: unknown }[];

const newId = (prefix: string) => `${prefix}_dev_${crypto.randomUUID().replace(/-/g, "").slice(0, 20)}`;

/** A renewal's invoice: billing_reason subscription_cycle is what makes it a renewal (not Checkout's first invoice). */
function renewalInvoice(t: MoneyTarget, fields: Record<string, unknown>) {
	return invoice({
		id: newId("in"),
		customer: t.customer,
		subscription: t.subscription,
		created: t.created,
		metadata: t.metadata,
		billing_reason: "subscription_cycle",
		hosted_invoice_url: t.invoiceUrl,
		status: "open",
		amount_paid: 0,
		amount_remaining: PRICE,
		...fields,
	});
}

function subscriptionNow(t: MoneyTarget, status: string, fields: Record<string, unknown> = {}) {
	return {
		...subscription({ id: t.subscription, customer: t.customer, status, created: t.created, metadata: t.metadata }),
		...fields,
	};
}

/** A trialing subscription whose trial (and so its current period) ends in three days, as trial_will_end carries it. */
function endingTrial(t: MoneyTarget) {
	const trialEnd = t.created + 3 * DAY_S;
	const sub = subscriptionNow(t, "trialing", { trial_start: t.created - 11 * DAY_S, trial_end: trialEnd });
	const items = { ...sub.items, data: sub.items.data.map((item) => ({ ...item, current_period_end: trialEnd })) };
	return { ...sub, items };
}

const closedDispute = (t: MoneyTarget, status: "won" | "lost") => [
	{
		type: "charge.dispute.closed",
		object: dispute({ id: t.dispute, charge: t.charge, payment_intent: t.paymentIntent, created: t.created, status }),
	},
];

/** Each dev event as the Stripe event(s) Stripe sends for it (https://docs.stripe.com/api/events/types). */
const MONEY_EVENTS: Record<DevMoneyEvent, { on: "payment" | "subscription"; build: (t: MoneyTarget) => Built }> = {
	refund: {
		on: "payment",
		build: (t) => [
			{
				type: "charge.refunded",
				object: charge({
					id: t.charge,
					created: t.created,
					customer: t.customer,
					payment_intent: t.paymentIntent,
					amount_refunded: PRICE,
					refunded: true,
				}),
			},
		],
	},
	dispute_opened: {
		on: "payment",
		build: (t) => [
			{
				type: "charge.dispute.created",
				object: dispute({
					id: t.dispute,
					charge: t.charge,
					payment_intent: t.paymentIntent,
					created: t.created,
					status: "needs_response",
				}),
			},
		],
	},
	dispute_won: { on: "payment", build: (t) => closedDispute(t, "won") },
	dispute_lost: { on: "payment", build: (t) => closedDispute(t, "lost") },
	renewal_failed: {
		on: "subscription",
		build: (t) => [
			{
				type: "invoice.payment_failed",
				object: renewalInvoice(t, { attempted: true, attempt_count: 1, next_payment_attempt: t.created + 3 * DAY_S }),
			},
		],
	},
	renewal_needs_confirmation: {
		on: "subscription",
		build: (t) => [
			{ type: "invoice.payment_action_required", object: renewalInvoice(t, { attempted: true, attempt_count: 1 }) },
		],
	},
	renewal_paid: {
		on: "subscription",
		// Stripe follows a paid renewal with the subscription back to active (from past_due or a trial).
		build: (t) => [
			{
				type: "invoice.paid",
				object: renewalInvoice(t, {
					status: "paid",
					amount_paid: PRICE,
					amount_remaining: 0,
					status_transitions: {
						finalized_at: t.created,
						marked_uncollectible_at: null,
						paid_at: t.created,
						voided_at: null,
					},
				}),
			},
			{ type: "customer.subscription.updated", object: subscriptionNow(t, "active") },
		],
	},
	trial_ending: {
		on: "subscription",
		build: (t) => [{ type: "customer.subscription.trial_will_end", object: endingTrial(t) }],
	},
	canceled: {
		on: "subscription",
		build: (t) => [
			{
				type: "customer.subscription.deleted",
				object: subscriptionNow(t, "canceled", { canceled_at: t.created, ended_at: t.created }),
			},
		],
	},
};

export const isMoneyEvent = (value: unknown): value is DevMoneyEvent =>
	typeof value === "string" && (DEV_MONEY_EVENTS as readonly string[]).includes(value);

export type MoneyEventsResult =
	| { ok: true; events: StripeEvent[] }
	| { ok: false; reason: "not_found" | "not_a_subscription" | "no_open_dispute" };

/** The Stripe events for one money move on the plan `crn`, as of `nowMs`. */
export async function moneyEventsFor(
	db: Db,
	config: Pick<Config, "appUrl">,
	crn: string,
	name: DevMoneyEvent,
	nowMs: number,
): Promise<MoneyEventsResult> {
	const client = await findClientByCrn(db, crn.toUpperCase());
	if (!client) return { ok: false, reason: "not_found" };
	const spec = MONEY_EVENTS[name];
	if (spec.on === "subscription" && client.mode !== "subscription") return { ok: false, reason: "not_a_subscription" };

	const now = Math.floor(nowMs / 1000);
	const ids = devIds(client.id);
	const short = client.id.replace(/-/g, "").slice(0, 14);
	let paymentIntent = client.paymentIntentId ?? `pi_dev_${short}`;
	let disputeId = newId("dp");
	if (spec.on === "payment") {
		// The development stand-in has no Stripe API to place a subscription's
		// charge through its invoice payments (src/onboarding/money-moves.ts), so
		// the plan gets a dev payment intent of its own, which the charge and
		// dispute then name: the webhook finds the plan by it directly.
		paymentIntent = await recordDevPaymentIntent(db, client.id, paymentIntent, nowMs);
	}
	if (name === "dispute_won" || name === "dispute_lost") {
		const open = await openDisputeOf(db, client.id);
		if (!open) return { ok: false, reason: "no_open_dispute" };
		disputeId = open;
	}
	const target: MoneyTarget = {
		metadata: checkoutMetadata({
			clientId: client.id,
			crn: client.crn,
			planCode: client.planCode,
			sessionId: client.checkoutSessionId ?? "",
		}),
		customer: client.stripeCustomerId ?? ids.customer,
		subscription: client.subscriptionId ?? ids.subscription,
		paymentIntent,
		charge: `ch_dev_${paymentIntent.replace(/^pi_(dev_)?/, "")}`,
		dispute: disputeId,
		invoiceUrl: `${config.appUrl}/dev/invoice?crn=${encodeURIComponent(client.crn)}`,
		// The webhook orders invoice and subscription events by `created` and
		// treats one second as a tie; two clicks within a second must still be
		// two steps, so each event is a second after the newest one applied.
		created: Math.max(now, (client.invoiceEventAt ?? 0) + 1, (client.subscriptionEventAt ?? 0) + 1),
	};
	const events = spec.build(target).map((e, i) => stripeEvent(e.type, e.object, { created: target.created + i }));
	return { ok: true, events };
}

/** The plan as it stands now, as the dashboard shows it. */
export async function planNow(
	db: Db,
	config: Pick<Config, "plans" | "pastDueGraceMs">,
	crn: string,
	now: number,
): Promise<PlanView | null> {
	const client = await findClientByCrn(db, crn.toUpperCase());
	return client ? planView(client, config, now) : null;
}
