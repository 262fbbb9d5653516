// Applies a confirmed (or changed) payment: ledger, client state and job in one
// D1 batch, then one queue message. The webhook, the status route's Stripe
// sync and the reconciler all run this same idempotent path.
import { findClientIdForChange } from "../db/clients";
import type { Db } from "../db/database";
import { applyPaymentBatch, forgetLedgerEntry, type LedgerEntry, recordLedgerOnly } from "../db/payment-batch";
import { errorMessage, log } from "../log";
import { JOB } from "../rules/job-states";
import type { PaymentChange } from "../stripe/events";
import { type ProvisioningQueue, provisionMessage } from "./queue-message";

export interface PaymentDeps {
	db: Db;
	queue: ProvisioningQueue;
	now: number;
}

export type PaymentOutcome =
	| { status: "applied"; clientId: string; jobId?: string; enqueued: boolean }
	| { status: "duplicate"; clientId?: string }
	| { status: "unknown_client"; clientId?: string };

export class EnqueueError extends Error {
	override name = "EnqueueError";
}

export async function applyPaymentChange(
	deps: PaymentDeps,
	ledger: LedgerEntry,
	change: PaymentChange,
	source: "webhook" | "sync" | "reconcile",
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
