// When a webhook is late or lost, ask Stripe for the Checkout Session and run
// the webhook's own payment path with what it says. The ledger id is derived
// from the session and its payment status, so asking twice changes nothing.
import type Stripe from "stripe";
import { changeFromCheckoutSession } from "../stripe/events";
import { applyPaymentChange, type PaymentDeps, type PaymentOutcome } from "./payments";

export type SyncDeps = PaymentDeps;

export function syncLedgerId(session: Pick<Stripe.Checkout.Session, "id" | "payment_status">): string {
	return `sync_${session.id}_${session.payment_status}`;
}

/** Applies what Stripe says of a session; null when it says nothing new (still open). */
export async function applyCheckoutSessionFromStripe(
	deps: SyncDeps,
	session: Stripe.Checkout.Session,
	source: "sync" | "reconcile",
): Promise<PaymentOutcome | null> {
	const change = changeFromCheckoutSession(session, Math.floor(deps.now / 1000));
	if (!change.checkout) return null;
	return applyPaymentChange(
		deps,
		{
			eventId: syncLedgerId(session),
			type: `checkout.session.${source}`,
			livemode: session.livemode,
			eventCreated: Math.floor(deps.now / 1000),
			nonce: crypto.randomUUID(),
		},
		change,
		source,
	);
}
