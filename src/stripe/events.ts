// The Stripe events we act on, narrowed by the SDK's own discriminated union
// and reduced to one `PaymentChange`: what the event says about a client's
// checkout, payment, subscription, and money moving back (refunds, disputes).
// Pure: no I/O, so every event type is unit-testable.
import type Stripe from "stripe";
import type { DisputeState, PlanMode } from "../rules/access";
import { DEPLOYMENT_TAG } from "../rules/stripe-endpoint";
import { isPaidCheckout, isPayingSubscription } from "../rules/subscription-status";
import { HANDLED_EVENT_TYPES } from "./handled-events";

export { HANDLED_EVENT_TYPES };

/**
 * Before API version 2025-03-31.basil an invoice named its subscription at the
 * top level; an endpoint pinned to an older version still sends that shape.
 */
export const INVOICE_PARENT_API_VERSION = "2025-03-31.basil";

export type CheckoutPaymentStatus = Stripe.Checkout.Session.PaymentStatus | "failed";

export type InvoiceStatus = "paid" | "payment_failed" | "action_required";

/** What one event (or one Checkout Session read from Stripe) says about a client. */
export interface PaymentChange {
	clientId?: string;
	checkoutSessionId?: string;
	customerId?: string;
	subscriptionId?: string;
	checkout?: { status: "complete" | "expired"; paymentStatus: CheckoutPaymentStatus; mode: PlanMode };
	/** A one-time purchase's payment: refunds and disputes name it. */
	paymentIntentId?: string;
	subscription?: {
		status: Stripe.Subscription.Status;
		eventAt: number;
		/** The subscription's (first) price: the plan follows it. */
		priceId?: string;
		/** End of the current period (or trial), epoch ms. */
		periodEnd?: number;
		/** `trial_will_end`: the trial's end, epoch ms, for the reminder email. */
		trialEndingAt?: number;
		/** Made by a Checkout of ours (any deployment): it carries our metadata. */
		fromCheckout?: boolean;
	};
	invoice?: {
		id: string;
		status: InvoiceStatus;
		eventAt: number;
		/** Stripe's page where the customer pays or confirms this invoice. */
		url: string | null;
		/** Which failed attempt this is (1, 2, …): one email each. */
		attempt: number;
		/** A renewal (not the first invoice, which Checkout itself collects). */
		renewal: boolean;
	};
	/** Money moving back on a payment, placed on its plan through the payment intent. */
	charge?: {
		paymentIntentId: string | null;
		/** The whole amount refunded (a partial refund changes nothing). */
		fullyRefunded?: boolean;
		dispute?: { id: string; state: DisputeState };
	};
	/** The event proves the customer paid: create (once) and enqueue the provisioning job. */
	confirmsPayment: boolean;
}

/** A verified webhook body as an event, or null when it is not one (see `asEvent`). */
export function parseEvent(text: string): Stripe.Event | null {
	try {
		return asEvent(JSON.parse(text));
	} catch {
		return null;
	}
}

/**
 * Checks the envelope of an event (a verified webhook body, or one Stripe's API
 * returned). The fields checked are the ones we read before narrowing; past
 * them it is Stripe's own JSON, trusted to match the SDK's `Stripe.Event` for
 * its `type`.
 */
export function asEvent(parsed: unknown): Stripe.Event | null {
	if (!parsed || typeof parsed !== "object") return null;
	const e = parsed as Record<string, unknown>;
	const data = e.data as { object?: unknown } | undefined;
	if (
		typeof e.id !== "string" ||
		!e.id.startsWith("evt_") ||
		typeof e.type !== "string" ||
		typeof e.created !== "number" ||
		typeof e.livemode !== "boolean" ||
		!data ||
		typeof data.object !== "object" ||
		data.object === null
	) {
		return null;
	}
	return parsed as Stripe.Event;
}

function idOf(ref: string | { id: string } | null | undefined): string | undefined {
	if (typeof ref === "string") return ref;
	return ref?.id;
}

function metaClientId(metadata: Stripe.Metadata | null | undefined): string | undefined {
	const id = metadata?.client_id;
	return typeof id === "string" && id !== "" ? id : undefined;
}

/**
 * A Checkout Session as Stripe reports it, from an event or from the API, as
 * of `at` (epoch seconds). A paid subscription checkout records the
 * subscription `active` at once: an endpoint may send this event alone, and
 * later subscription and invoice events refine it.
 */
export function changeFromCheckoutSession(
	session: Stripe.Checkout.Session,
	at: number,
	asyncOutcome?: "succeeded" | "failed",
): PaymentChange {
	let paymentStatus: CheckoutPaymentStatus = session.payment_status;
	if (asyncOutcome === "succeeded") paymentStatus = "paid";
	if (asyncOutcome === "failed") paymentStatus = "failed";
	const complete = session.status === "complete";
	const subscriptionId = idOf(session.subscription);
	return {
		clientId: session.client_reference_id ?? metaClientId(session.metadata),
		checkoutSessionId: session.id,
		customerId: idOf(session.customer),
		subscriptionId,
		checkout:
			complete || session.status === "expired"
				? {
						status: complete ? "complete" : "expired",
						paymentStatus,
						mode: session.mode === "payment" ? "payment" : "subscription",
					}
				: undefined,
		paymentIntentId: session.mode === "payment" ? idOf(session.payment_intent) : undefined,
		subscription:
			complete && paymentStatus === "paid" && session.mode === "subscription"
				? { status: "active", eventAt: at }
				: undefined,
		confirmsPayment: complete && isPaidCheckout(paymentStatus),
	};
}

/** The pre-basil subscription field: the period lived on the subscription, not its items. */
interface LegacySubscriptionFields {
	id?: string;
	current_period_end?: number;
}

function changeFromSubscription(
	subscription: Stripe.Subscription,
	status: Stripe.Subscription.Status,
	at: number,
	trialEnding = false,
): PaymentChange {
	const item = subscription.items?.data?.[0];
	const legacy: LegacySubscriptionFields = subscription;
	const periodEnd = item?.current_period_end ?? legacy.current_period_end ?? subscription.trial_end ?? undefined;
	return {
		clientId: metaClientId(subscription.metadata),
		customerId: idOf(subscription.customer),
		subscriptionId: subscription.id,
		subscription: {
			status,
			eventAt: at,
			priceId: item?.price?.id,
			periodEnd: periodEnd ? periodEnd * 1000 : undefined,
			trialEndingAt: trialEnding && subscription.trial_end ? subscription.trial_end * 1000 : undefined,
			fromCheckout: Boolean(metaClientId(subscription.metadata) || subscription.metadata?.[DEPLOYMENT_TAG]),
		},
		confirmsPayment: isPayingSubscription(status),
	};
}

/** The pre-basil invoice fields (see INVOICE_PARENT_API_VERSION); absent from the SDK's current types. */
interface LegacyInvoiceFields {
	id?: string;
	subscription?: string | { id: string } | null;
	subscription_details?: { metadata?: Stripe.Metadata | null } | null;
}

function changeFromInvoice(invoice: Stripe.Invoice, status: InvoiceStatus, at: number): PaymentChange {
	const details = invoice.parent?.subscription_details;
	const legacy: LegacyInvoiceFields = invoice;
	return {
		clientId:
			metaClientId(details?.metadata) ??
			metaClientId(legacy.subscription_details?.metadata) ??
			metaClientId(invoice.metadata),
		customerId: idOf(invoice.customer),
		subscriptionId: idOf(details?.subscription) ?? idOf(legacy.subscription),
		invoice: {
			id: invoice.id ?? legacy.id ?? "",
			status,
			eventAt: at,
			url: invoice.hosted_invoice_url ?? null,
			attempt: invoice.attempt_count ?? 1,
			renewal: invoice.billing_reason !== "subscription_create",
		},
		confirmsPayment: status === "paid",
	};
}

function changeFromCharge(charge: Stripe.Charge): PaymentChange {
	return {
		customerId: idOf(charge.customer),
		charge: {
			paymentIntentId: idOf(charge.payment_intent) ?? null,
			fullyRefunded: charge.refunded || (charge.amount > 0 && charge.amount_refunded >= charge.amount),
		},
		confirmsPayment: false,
	};
}

/** won: the money stays with us; lost: it went back; any other status is still open. */
function disputeState(status: Stripe.Dispute.Status, closed: boolean): DisputeState {
	if (status === "won" || status === "warning_closed") return "won";
	if (status === "lost") return "lost";
	// A closed event always carries a final status; anything else means the dispute goes on.
	return closed ? "won" : "open";
}

function changeFromDispute(dispute: Stripe.Dispute, closed: boolean): PaymentChange {
	return {
		charge: {
			paymentIntentId: idOf(dispute.payment_intent) ?? null,
			dispute: { id: dispute.id, state: disputeState(dispute.status, closed) },
		},
		confirmsPayment: false,
	};
}

/** What a handled event says; null for every other type. */
export function changeFromEvent(event: Stripe.Event): PaymentChange | null {
	switch (event.type) {
		case "checkout.session.completed":
		case "checkout.session.expired":
			return changeFromCheckoutSession(event.data.object, event.created);
		case "checkout.session.async_payment_succeeded":
			return changeFromCheckoutSession(event.data.object, event.created, "succeeded");
		case "checkout.session.async_payment_failed":
			return changeFromCheckoutSession(event.data.object, event.created, "failed");
		case "customer.subscription.created":
		case "customer.subscription.updated":
			return changeFromSubscription(event.data.object, event.data.object.status, event.created);
		case "customer.subscription.deleted":
			return changeFromSubscription(event.data.object, "canceled", event.created);
		case "customer.subscription.trial_will_end":
			return changeFromSubscription(event.data.object, event.data.object.status, event.created, true);
		case "invoice.paid":
			return changeFromInvoice(event.data.object, "paid", event.created);
		case "invoice.payment_failed":
			return changeFromInvoice(event.data.object, "payment_failed", event.created);
		case "invoice.payment_action_required":
			return changeFromInvoice(event.data.object, "action_required", event.created);
		case "charge.refunded":
			return changeFromCharge(event.data.object);
		case "charge.dispute.created":
			return changeFromDispute(event.data.object, false);
		case "charge.dispute.closed":
			return changeFromDispute(event.data.object, true);
		default:
			return null;
	}
}
