// Replays a Stripe event by id: Stripe is the source of truth for events (kept
// 30 days), so this also applies one that never reached us. Retrieved from
// Stripe, checked like a webhook body, and run through the webhook's own
// payment path under a ledger id of its own.
import { log } from "../log";
import { applyPaymentChange, ledgerEntryFor, type PaymentDeps, type PaymentOutcome } from "../onboarding/payments";
import { type StripeApi, StripeApiError } from "../stripe/api";
import { asEvent, changeFromEvent } from "../stripe/events";

export type ReplayResult =
	| { ok: true; outcome: PaymentOutcome }
	| { ok: false; reason: "stripe_unavailable" | "not_found" };

export async function replayEvent(
	deps: PaymentDeps & { stripe: StripeApi | null },
	eventId: string,
): Promise<ReplayResult> {
	if (!deps.stripe) return { ok: false, reason: "stripe_unavailable" };
	let retrieved: unknown = null;
	try {
		retrieved = await deps.stripe.retrieveEvent(eventId);
	} catch (error) {
		if (!(error instanceof StripeApiError && error.status === 404)) throw error;
	}
	const event = asEvent(retrieved);
	const change = event ? changeFromEvent(event) : null;
	if (!event || !change) return { ok: false, reason: "not_found" };
	const outcome = await applyPaymentChange(
		deps,
		ledgerEntryFor(event, `replay_${event.id}_${deps.now}`),
		change,
		"webhook",
	);
	log("ADMIN_ACTION", { action: "replay_event", event_id: event.id, outcome: outcome.status });
	return { ok: true, outcome };
}
