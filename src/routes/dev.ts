// Development-only tools, live only under `npm run dev` with no Stripe key:
// a checkout stand-in whose "Pay" posts a correctly signed
// checkout.session.completed to the real webhook route, money moves on a plan
// (refunds, disputes, renewals, trials, cancellation) posted the same way, a
// hosted-invoice stand-in, and an outbox viewer.
// Everywhere else every /dev and /api/dev path is a 404.

import { createMiddleware } from "hono/factory";
import { Hono } from "hono/tiny";
import { getConfig } from "../config";
import { findClientByCrn, findClientBySessionId } from "../db/clients";
import { openDisputeOf, recordDevPaymentIntent } from "../db/dev-tools";
import { listOutbox } from "../db/outbox";
import { recentPlansWithLogin } from "../db/plan-list";
import { deps } from "../deps";
import { type AppContext, type AppEnv, jsonError, readJsonObject } from "../http";
import { planView } from "../onboarding/subscriptions";
import {
	charge,
	checkoutMetadata,
	devIds,
	devSubscription,
	dispute,
	invoice,
	paidCheckoutSession,
	signedEvent,
	stripeEvent,
	subscription,
} from "../stripe/event-kit";
import { stripeWebhookRoutes } from "./stripe-webhook";

export const devRoutes = new Hono<AppEnv>();

const devOnly = createMiddleware<AppEnv>(async (c, next) => {
	if (!getConfig(c.env).devTools) return jsonError(c, 404, "not_found", "No such route.");
	await next();
});

devRoutes.use("/dev/*", devOnly);
devRoutes.use("/api/dev/*", devOnly);

// The pages themselves are static assets; the worker runs first to gate them.
// Re-wrapped because an asset response's headers are immutable.
devRoutes.get("/dev/*", async (c) => {
	const asset = await c.env.ASSETS.fetch(c.req.raw);
	return new Response(asset.body, asset);
});

/**
 * Posts each event, signed with the configured webhook secret, through the real
 * webhook route (signature, ledger, batch, enqueue), in order. A failure
 * answer, or null when every delivery was accepted.
 */
async function deliver(c: AppContext, events: { id: string }[], now: number): Promise<Response | null> {
	const secret = getConfig(c.env).webhookSecrets[0] ?? "";
	for (const delivery of events) {
		const { payload, signature } = await signedEvent(delivery, secret, now);
		const response = await stripeWebhookRoutes.fetch(
			new Request(new URL("/stripe", c.req.url), {
				method: "POST",
				headers: { "content-type": "application/json", "stripe-signature": signature },
				body: payload,
			}),
			c.env,
			c.executionCtx,
		);
		if (!response.ok) {
			return jsonError(c, 502, "webhook_failed", `The webhook route answered ${response.status}.`);
		}
	}
	return null;
}

devRoutes.get("/api/dev/checkout/:id", async (c) => {
	const { config, db } = deps(c.env);
	const client = await findClientBySessionId(db, c.req.param("id"));
	if (!client) return jsonError(c, 404, "not_found", "No such checkout session.");
	const plan = config.plans.get(client.planCode);
	return c.json({
		id: client.checkoutSessionId,
		email: client.email,
		plan_code: client.planCode,
		plan_name: plan?.name ?? client.planCode,
		amount_display: plan?.priceDisplay ?? "",
		paid: client.checkoutStatus === "complete",
	});
});

devRoutes.post("/api/dev/checkout/:id/pay", async (c) => {
	const d = deps(c.env);
	const { config } = d;
	const client = await findClientBySessionId(d.db, c.req.param("id"));
	if (!client?.checkoutSessionId) return jsonError(c, 404, "not_found", "No such checkout session.");
	const body = await readJsonObject(c);
	const success = typeof body?.success_url === "string" ? body.success_url : "";
	// Only ever back to our own onboarding page: no open redirect.
	const redirect = success.startsWith(`${config.appUrl}/onboarding?t=`) ? success : `${config.appUrl}/`;

	const now = Math.floor(d.clock() / 1000);
	const session = paidCheckoutSession(
		{
			clientId: client.id,
			crn: client.crn,
			planCode: client.planCode,
			sessionId: client.checkoutSessionId,
			email: client.email,
			name: client.name,
		},
		now,
		{ success_url: redirect },
	);
	const event = stripeEvent("checkout.session.completed", session, { created: now });
	// What Stripe sends for a paid subscription checkout: the session, then the subscription.
	const subscriptionCreated = stripeEvent(
		"customer.subscription.created",
		devSubscription(client.id, "active", now, session.metadata),
		{ created: now },
	);
	const failed = await deliver(c, [event, subscriptionCreated], now);
	if (failed) return failed;
	return c.json({ redirect_url: redirect, event_id: event.id });
});

devRoutes.get("/api/dev/outbox", async (c) => {
	const messages = await listOutbox(deps(c.env).db, 50);
	return c.json({
		messages: messages.map((m) => ({
			id: m.id,
			to: m.toAddress,
			subject: m.subject,
			text: m.textBody,
			links: m.textBody.match(/https?:\/\/\S+/g) ?? [],
			created_at: new Date(m.createdAt).toISOString(),
		})),
	});
});

// ---- money moves on a plan --------------------------------------------------

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

const isMoneyEvent = (value: unknown): value is DevMoneyEvent =>
	typeof value === "string" && (DEV_MONEY_EVENTS as readonly string[]).includes(value);

/** Recent plans with a login, to pick one to move money on. */
devRoutes.get("/api/dev/plans", async (c) => {
	const d = deps(c.env);
	const now = d.clock();
	const rows = await recentPlansWithLogin(d.db, 20);
	return c.json({
		events: DEV_MONEY_EVENTS,
		plans: rows.map((row) => ({ ...planView(row, d.config, now), email: row.email, mode: row.mode })),
	});
});

devRoutes.post("/api/dev/plans/:crn/events", async (c) => {
	const d = deps(c.env);
	const body = await readJsonObject(c);
	const name = body?.event;
	if (!isMoneyEvent(name)) {
		return jsonError(c, 400, "invalid_event", `event must be one of ${DEV_MONEY_EVENTS.join(", ")}.`);
	}
	const client = await findClientByCrn(d.db, c.req.param("crn").toUpperCase());
	if (!client) return jsonError(c, 404, "not_found", "No plan with this CRN.");
	const spec = MONEY_EVENTS[name];
	if (spec.on === "subscription" && client.mode !== "subscription") {
		return jsonError(
			c,
			409,
			"not_a_subscription",
			"This is a one-time purchase: it has no renewals, trial or cancellation.",
		);
	}

	const nowMs = d.clock();
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
		paymentIntent = await recordDevPaymentIntent(d.db, client.id, paymentIntent, nowMs);
	}
	if (name === "dispute_won" || name === "dispute_lost") {
		const open = await openDisputeOf(d.db, client.id);
		if (!open) return jsonError(c, 409, "no_open_dispute", "This plan has no open dispute: open one first.");
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
		invoiceUrl: `${d.config.appUrl}/dev/invoice?crn=${encodeURIComponent(client.crn)}`,
		// The webhook orders invoice and subscription events by `created` and
		// treats one second as a tie; two clicks within a second must still be
		// two steps, so each event is a second after the newest one applied.
		created: Math.max(now, (client.invoiceEventAt ?? 0) + 1, (client.subscriptionEventAt ?? 0) + 1),
	};
	const events = spec.build(target).map((e, i) => stripeEvent(e.type, e.object, { created: target.created + i }));
	const failed = await deliver(c, events, now);
	if (failed) return failed;

	const after = await findClientByCrn(d.db, client.crn);
	return c.json({
		event: name,
		stripe_events: events.map((e) => ({ id: e.id, type: e.type })),
		plan: after ? planView(after, d.config, d.clock()) : null,
	});
});
