// The Stripe event types this service acts on, declared once: the webhook
// handler narrows them, the doctor requires them on the endpoint, and
// `npm run stripe:setup` subscribes the endpoint to them. A leaf module
// (a type import only), so the Node scripts can import it as it is.
import type Stripe from "stripe";

export const HANDLED_EVENT_TYPES = [
	"checkout.session.completed",
	"checkout.session.async_payment_succeeded",
	"checkout.session.async_payment_failed",
	"customer.subscription.created",
	"customer.subscription.updated",
	"customer.subscription.deleted",
	"customer.subscription.trial_will_end",
	"invoice.paid",
	"invoice.payment_failed",
	"invoice.payment_action_required",
	"checkout.session.expired",
	"charge.refunded",
	"charge.dispute.created",
	"charge.dispute.closed",
] as const satisfies readonly Stripe.Event.Type[];
