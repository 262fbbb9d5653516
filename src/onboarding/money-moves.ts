// Where money moving sideways or back lands: a refund or dispute placed on the
// plan its payment paid for, the email a failed or unconfirmed renewal or an
// ending trial calls for, and a subscription made outside Checkout (the Stripe
// Dashboard, a sales-led invoice) adopted as a plan of its own.
import type { Config } from "../config";
import { findClientIdByPaymentIntent, findClientIdBySubscription } from "../db/clients";
import type { Db } from "../db/database";
import { isPayingSubscription } from "../rules/subscription-status";
import type { StripeApi } from "../stripe/api";
import type { PaymentChange } from "../stripe/events";
import type { WorkOf } from "../work/messages";

/**
 * The plan a payment intent paid for: a one-time purchase names it on its
 * client; for a subscription, Stripe's invoice payments name the invoice,
 * whose parent names the subscription (charges carry no invoice since API
 * version 2025-03-31). Undefined when neither knows it.
 */
export async function placeCharge(
	deps: { db: Db; stripe: StripeApi | null },
	paymentIntentId: string | null,
): Promise<string | undefined> {
	if (!paymentIntentId) return undefined;
	const direct = await findClientIdByPaymentIntent(deps.db, paymentIntentId);
	if (direct || !deps.stripe) return direct;
	// A Stripe error here is a 500: Stripe retries the event, and the next try may place it.
	const payments = await deps.stripe.listInvoicePayments(paymentIntentId);
	for (const payment of payments.data) {
		const invoiceId = typeof payment.invoice === "string" ? payment.invoice : payment.invoice?.id;
		if (!invoiceId) continue;
		const invoice = await deps.stripe.retrieveInvoice(invoiceId);
		const subscription = invoice.parent?.subscription_details?.subscription;
		const subscriptionId = typeof subscription === "string" ? subscription : subscription?.id;
		if (!subscriptionId) continue;
		const clientId = await findClientIdBySubscription(deps.db, subscriptionId);
		if (clientId) return clientId;
	}
	return undefined;
}

/**
 * A subscription no client of ours knows, for a price in PLANS, now paying or
 * trialing, and not made by any deployment's Checkout (those carry our
 * metadata; staging and production may share one Stripe account): adopt it.
 */
export function adoptionFor(change: PaymentChange, config: Pick<Config, "planByPrice">): WorkOf<"adopt"> | null {
	const sub = change.subscription;
	if (!sub || !change.subscriptionId || !change.customerId || change.clientId) return null;
	if (sub.fromCheckout || !isPayingSubscription(sub.status)) return null;
	const plan = config.planByPrice.get(sub.priceId ?? "");
	if (!plan) return null;
	return { type: "adopt", subscriptionId: change.subscriptionId, customerId: change.customerId, planCode: plan.code };
}

/** The one email this event calls for, keyed so each failed attempt, invoice or trial sends once. */
export function noticeFor(change: PaymentChange, clientId: string): WorkOf<"notice"> | null {
	const invoice = change.invoice;
	if (invoice?.renewal && invoice.id && invoice.status !== "paid") {
		const failed = invoice.status === "payment_failed";
		return {
			type: "notice",
			kind: failed ? "payment_failed" : "confirm_payment",
			clientId,
			key: failed ? `payment-failed-${invoice.id}-${invoice.attempt}` : `confirm-payment-${invoice.id}`,
			url: invoice.url ?? undefined,
			eventAt: invoice.eventAt,
		};
	}
	const trialEnd = change.subscription?.trialEndingAt;
	if (trialEnd && change.subscriptionId) {
		return {
			type: "notice",
			kind: "trial_ending",
			clientId,
			key: `trial-ending-${change.subscriptionId}-${trialEnd}`,
			trialEndsAt: trialEnd,
			eventAt: change.subscription?.eventAt ?? 0,
		};
	}
	return null;
}
