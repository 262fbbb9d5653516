// Applies what Stripe says: ledger, client state and job in one D1 batch, then
// one queue message. The webhook, an operator's replay, the status route's
// Stripe sync and the reconciler all run this same idempotent path.
import type Stripe from "stripe";
import { findClientIdForChange } from "../db/clients";
import type { Db } from "../db/database";
import { applyPaymentBatch, forgetLedgerEntry, type LedgerEntry, recordLedgerOnly } from "../db/payment-batch";
import { errorMessage, log } from "../log";
import { JOB } from "../rules/job-states";
import type { PaymentChange } from "../stripe/events";
import { provisionMessage, type WorkQueue } from "../work/messages";

export type { LedgerEntry } from "../db/payment-batch";

export interface PaymentDeps {
	db: Db;
	queue: WorkQueue;
	now: number;
}

export type PaymentSource = "webhook" | "sync" | "reconcile";

export type PaymentOutcome =
	| { status: "applied"; clientId: string; jobId?: string; enqueued: boolean }
	| { status: "duplicate"; clientId?: string }
	| { status: "unknown_client"; clientId?: string };

export type EventOutcome = PaymentOutcome | { status: "ignored"; duplicate: boolean };

export class EnqueueError extends Error {
	override name = "EnqueueError";
}

/** The ledger row for an event; `id` differs from the event's own for an operator's replay. */
export function ledgerEntryFor(event: Stripe.Event, id: string = event.id): LedgerEntry {
	return {
		eventId: id,
		type: event.type,
		livemode: event.livemode,
		eventCreated: event.created,
		nonce: crypto.randomUUID(),
	};
}

/**
 * One Stripe event, webhook or replayed: its change applied, or, for an event
 * we do not act on (`change` null), only recorded in the ledger.
 */
export async function applyStripeEvent(
	deps: PaymentDeps,
	ledger: LedgerEntry,
	change: PaymentChange | null,
): Promise<EventOutcome> {
	if (!change) {
		const fresh = await recordLedgerOnly(deps.db, ledger, null, deps.now);
		return { status: "ignored", duplicate: !fresh };
	}
	return applyPaymentChange(deps, ledger, change, "webhook");
}

export async function applyPaymentChange(
	deps: PaymentDeps,
	ledger: LedgerEntry,
	change: PaymentChange,
	source: PaymentSource,
): Promise<PaymentOutcome> {
	const { db, now } = deps;
	const clientId = change.clientId ?? (await findClientIdForChange(db, change));
	if (!clientId) {
		const fresh = await recordLedgerOnly(db, ledger, null, now);
		return fresh ? { status: "unknown_client" } : { status: "duplicate" };
	}

	const result = await applyPaymentBatch(db, ledger, clientId, change, { id: crypto.randomUUID(), source }, now);
	if (!result.applied) return { status: "duplicate", clientId };
	if (!result.clientFound) return { status: "unknown_client", clientId };

	const job = result.job;
	// A job still waiting may have lost its message: one more is harmless (the consumer is idempotent).
	if (!job || !(job.created || job.state === JOB.confirmed)) {
		return { status: "applied", clientId, jobId: job?.id, enqueued: false };
	}
	try {
		await deps.queue.send(provisionMessage(job.id, clientId), { contentType: "json" });
	} catch (error) {
		// Un-record the event so Stripe's retry runs it again and enqueues; if even
		// this fails the reconciler re-enqueues the waiting job.
		await forgetLedgerEntry(db, ledger.eventId, ledger.nonce).catch(() => {});
		log("PROVISIONING_ENQUEUE_FAILED", { client_id: clientId, job_id: job.id, error: errorMessage(error) });
		throw new EnqueueError(`queue send failed: ${errorMessage(error)}`);
	}
	log("PROVISIONING_ENQUEUED", { client_id: clientId, job_id: job.id, checkout_session_id: change.checkoutSessionId });
	return { status: "applied", clientId, jobId: job.id, enqueued: true };
}
