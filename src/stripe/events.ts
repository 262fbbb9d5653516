// The Stripe events we act on, narrowed by the SDK's own discriminated union
// and reduced to one `PaymentChange`: what the event says about a client's
// checkout, payment and subscription. Pure: no I/O, so every event type is
// unit-testable.
import type Stripe from "stripe";
import { isPaidCheckout, isPayingSubscription } from "../rules/subscription-status";

export const HANDLED_EVENT_TYPES = [
	"checkout.session.completed",
	"checkout.session.async_payment_succeeded",
	"checkout.session.async_payment_failed",
	"customer.subscription.created",
	"customer.subscription.updated",
	"customer.subscription.deleted",
	"invoice.paid",
	"invoice.payment_failed",
	"checkout.session.expired",
] as const satisfies readonly Stripe.Event.Type[];

/**
 * Before API version 2025-03-31.basil an invoice named its subscription at the
 * top level; an endpoint pinned to an older version still sends that shape.
 */
export const INVOICE_PARENT_API_VERSION = "2025-03-31.basil";

export type CheckoutPaymentStatus = Stripe.Checkout.Session.PaymentStatus | "failed";

/** What one event (or one Checkout Session read from Stripe) says about a client. */
export interface PaymentChange {
	clientId?: string;
	checkoutSessionId?: string;
	customerId?: string;
	subscriptionId?: string;
	checkout?: { status: "complete" | "expired"; paymentStatus: CheckoutPaymentStatus };
	subscription?: { status: Stripe.Subscription.Status; eventAt: number };
	invoice?: { status: "paid" | "payment_failed"; eventAt: number };
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
				? { status: complete ? "complete" : "expired", paymentStatus }
				: undefined,
		subscription:
			complete && paymentStatus === "paid" && session.mode === "subscription"
				? { status: "active", eventAt: at }
				: undefined,
		confirmsPayment: complete && isPaidCheckout(paymentStatus),
	};
}

function changeFromSubscription(subscription: Stripe.Subscription, status: Stripe.Subscription.Status, at: number) {
	return {
		clientId: metaClientId(subscription.metadata),
		customerId: idOf(subscription.customer),
		subscriptionId: subscription.id,
		subscription: { status, eventAt: at },
		confirmsPayment: isPayingSubscription(status),
	};
}

/** The pre-basil invoice fields (see INVOICE_PARENT_API_VERSION); absent from the SDK's current types. */
interface LegacyInvoiceFields {
	id?: string;
	subscription?: string | { id: string } | null;
	subscription_details?: { metadata?: Stripe.Metadata | null } | null;
}

function changeFromInvoice(invoice: Stripe.Invoice, paid: boolean, at: number): PaymentChange {
	const details = invoice.parent?.subscription_details;
	const legacy: LegacyInvoiceFields = invoice;
	return {
		clientId:
			metaClientId(details?.metadata) ??
			metaClientId(legacy.subscription_details?.metadata) ??
			metaClientId(invoice.metadata),
		customerId: idOf(invoice.customer),
		subscriptionId: idOf(details?.subscription) ?? idOf(legacy.subscription),
		invoice: { status: paid ? "paid" : "payment_failed", eventAt: at },
		confirmsPayment: paid,
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
		case "invoice.paid":
			return changeFromInvoice(event.data.object, true, event.created);
		case "invoice.payment_failed":
			return changeFromInvoice(event.data.object, false, event.created);
		default:
			return null;
	}
}
