// What Stripe's subscription and Checkout payment statuses mean here, declared
// once: which count as paid, which are final, and the access a customer's
// access rule builds on. Event parsing, the payment batch, the status read
// model, the reconciler and the access rule (rules/access.ts) import these.
// https://docs.stripe.com/billing/subscriptions/overview#subscription-statuses
import type Stripe from "stripe";

export type SubscriptionStatus = Stripe.Subscription.Status;

/** Subscription statuses that mean the customer has paid for access (or is in a trial). */
export const PAYING_SUBSCRIPTION: readonly SubscriptionStatus[] = ["active", "trialing"];

/** Checkout Session payment statuses that settle the first payment. */
export const PAID_CHECKOUT: readonly Stripe.Checkout.Session.PaymentStatus[] = ["paid", "no_payment_required"];

/** Stripe never moves a subscription out of these, so nothing overwrites them. */
export const TERMINAL_SUBSCRIPTION: readonly SubscriptionStatus[] = ["canceled", "incomplete_expired"];

/** The first payment is still pending; a subscription never returns here once paid. */
export const PENDING_SUBSCRIPTION: SubscriptionStatus = "incomplete";

function has<T extends string>(set: readonly T[], value: string | null): value is T {
	return value !== null && (set as readonly string[]).includes(value);
}

/** Paid: the subscription says so, or, before any subscription status is known, the checkout does. */
export function isPaid(row: { subscriptionStatus: string | null; paymentStatus: string }): boolean {
	return row.subscriptionStatus !== null
		? has(PAYING_SUBSCRIPTION, row.subscriptionStatus)
		: has(PAID_CHECKOUT, row.paymentStatus);
}

export function isPayingSubscription(status: string | null): boolean {
	return has(PAYING_SUBSCRIPTION, status);
}

export function isPaidCheckout(paymentStatus: string | null): boolean {
	return has(PAID_CHECKOUT, paymentStatus);
}

export function isTerminalSubscription(status: string | null): boolean {
	return has(TERMINAL_SUBSCRIPTION, status);
}
