// The Stripe events we act on, narrowed from the raw envelope to one
// `PaymentChange`: what the event says about a client's checkout, payment and
// subscription. Pure: no I/O, so every event type is unit-testable.
import type Stripe from "stripe";

export interface StripeEventEnvelope {
	id: string;
	type: string;
	created: number;
	livemode: boolean;
	data: { object: Record<string, unknown> };
}

export const HANDLED_EVENT_TYPES = [
	"checkout.session.completed",
	"checkout.session.async_payment_succeeded",
	"checkout.session.async_payment_failed",
	"customer.subscription.created",
	"customer.subscription.updated",
	"customer.subscription.deleted",
	"invoice.paid",
	"invoice.payment_failed",
] as const;

export type CheckoutPaymentStatus = "paid" | "unpaid" | "no_payment_required" | "failed";

/** What one event (or one Checkout Session read from Stripe) says about a client. */
export interface PaymentChange {
	clientId?: string;
	checkoutSessionId?: string;
	customerId?: string;
	subscriptionId?: string;
	checkout?: { status: "complete" | "expired"; paymentStatus: CheckoutPaymentStatus };
	subscription?: { status: string; eventAt: number };
	invoice?: { status: "paid" | "payment_failed"; eventAt: number };
	/** The event proves the customer paid: create (once) and enqueue the provisioning job. */
	confirmsPayment: boolean;
}

export function parseEventEnvelope(text: string): StripeEventEnvelope | null {
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch {
		return null;
	}
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
	return e as unknown as StripeEventEnvelope;
}

function idOf(ref: unknown): string | undefined {
	if (typeof ref === "string") return ref;
	if (ref && typeof ref === "object" && typeof (ref as { id?: unknown }).id === "string") {
		return (ref as { id: string }).id;
	}
	return undefined;
}

function metaClientId(metadata: unknown): string | undefined {
	const id = (metadata as Record<string, unknown> | null | undefined)?.client_id;
	return typeof id === "string" && id !== "" ? id : undefined;
}

const PAYING_SUBSCRIPTION = new Set(["active", "trialing"]);

/** A Checkout Session as Stripe reports it, from an event or from the API. */
export function changeFromCheckoutSession(
	session: Stripe.Checkout.Session,
	asyncOutcome?: "succeeded" | "failed",
): PaymentChange {
	let paymentStatus = session.payment_status as CheckoutPaymentStatus;
	if (asyncOutcome === "succeeded") paymentStatus = "paid";
	if (asyncOutcome === "failed") paymentStatus = "failed";
	const complete = session.status === "complete";
	return {
		clientId: session.client_reference_id ?? metaClientId(session.metadata),
		checkoutSessionId: session.id,
		customerId: idOf(session.customer),
		subscriptionId: idOf(session.subscription),
		checkout:
			complete || session.status === "expired"
				? { status: complete ? "complete" : "expired", paymentStatus }
				: undefined,
		confirmsPayment: complete && (paymentStatus === "paid" || paymentStatus === "no_payment_required"),
	};
}

export function changeFromEvent(event: StripeEventEnvelope): PaymentChange | null {
	const object = event.data.object;
	switch (event.type) {
		case "checkout.session.completed":
			return changeFromCheckoutSession(object as unknown as Stripe.Checkout.Session);
		case "checkout.session.async_payment_succeeded":
			return changeFromCheckoutSession(object as unknown as Stripe.Checkout.Session, "succeeded");
		case "checkout.session.async_payment_failed":
			return changeFromCheckoutSession(object as unknown as Stripe.Checkout.Session, "failed");
		case "customer.subscription.created":
		case "customer.subscription.updated":
		case "customer.subscription.deleted": {
			const sub = object as unknown as Stripe.Subscription;
			const status = event.type === "customer.subscription.deleted" ? "canceled" : sub.status;
			return {
				clientId: metaClientId(sub.metadata),
				customerId: idOf(sub.customer),
				subscriptionId: sub.id,
				subscription: { status, eventAt: event.created },
				confirmsPayment: PAYING_SUBSCRIPTION.has(status),
			};
		}
		case "invoice.paid":
		case "invoice.payment_failed": {
			const invoice = object as unknown as Stripe.Invoice;
			const details = invoice.parent?.subscription_details;
			const paid = event.type === "invoice.paid";
			return {
				clientId: metaClientId(details?.metadata) ?? metaClientId(invoice.metadata),
				customerId: idOf(invoice.customer),
				subscriptionId: idOf(details?.subscription),
				invoice: { status: paid ? "paid" : "payment_failed", eventAt: event.created },
				confirmsPayment: paid,
			};
		}
		default:
			return null;
	}
}
