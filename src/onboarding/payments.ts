// Applies what Stripe says: ledger, client state and job in one D1 batch, then
// the work it calls for (provisioning, a notice email, adopting a subscription
// made outside Checkout) on the queue. The webhook, an operator's replay, the
// status route's Stripe sync and the reconciler all run this same idempotent path.
import type Stripe from "stripe";
import { appTarget } from "../app-webhooks/announce";
import type { Config } from "../config";
import { findClientIdForChange } from "../db/clients";
import type { Db } from "../db/database";
import { applyPaymentBatch, forgetLedgerEntry, type LedgerEntry, recordLedgerOnly } from "../db/payment-batch";
import { errorMessage, log } from "../log";
import { JOB } from "../rules/job-states";
import type { StripeApi } from "../stripe/api";
import type { PaymentChange } from "../stripe/events";
import { provisionMessage, type WorkMessage, type WorkQueue } from "../work/messages";
import { adoptionFor, noticeFor, placeCharge } from "./money-moves";

export type { LedgerEntry } from "../db/payment-batch";

export interface PaymentDeps {
	db: Db;
	queue: WorkQueue;
	/** Places a refund or dispute on a subscription's plan (Stripe's invoice payments). */
	stripe: StripeApi | null;
	config: Pick<Config, "planByPrice" | "app">;
	now: number;
}

export type PaymentSource = "webhook" | "sync" | "reconcile";

export type PaymentOutcome =
	| { status: "applied"; clientId: string; jobId?: string; enqueued: boolean }
	| { status: "duplicate"; clientId?: string }
	| { status: "unknown_client"; clientId?: string }
	/** A subscription made outside Checkout for a plan we sell: the queue onboards its customer. */
	| { status: "adopting"; subscriptionId: string };

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
	const clientId =
		change.clientId ??
		(await findClientIdForChange(db, change)) ??
		(change.charge ? await placeCharge(deps, change.charge.paymentIntentId) : undefined);
	if (!clientId) {
		const adopt = adoptionFor(change, deps.config);
		const fresh = await recordLedgerOnly(db, ledger, null, now);
		if (!fresh) return { status: "duplicate" };
		if (adopt) {
			await enqueueOrForget(deps, ledger, [adopt]);
			log("SUBSCRIPTION_ADOPTING", { subscription_id: adopt.subscriptionId, plan_code: adopt.planCode });
			return { status: "adopting", subscriptionId: adopt.subscriptionId };
		}
		if (change.charge) {
			// Logged and ledgered, never retried: Stripe would only send the same charge again.
			log("CHARGE_UNPLACED", { payment_intent_id: change.charge.paymentIntentId, event_type: ledger.type });
		}
		return { status: "unknown_client" };
	}

	const planCode = deps.config.planByPrice.get(change.subscription?.priceId ?? "")?.code ?? null;
	const forApp = appTarget(deps.config) !== null;
	const newJob = { id: crypto.randomUUID(), source };
	const result = await applyPaymentBatch(db, ledger, clientId, change, newJob, now, planCode, forApp);
	if (!result.applied) return { status: "duplicate", clientId };
	if (!result.clientFound) return { status: "unknown_client", clientId };

	const job = result.job;
	// A job still waiting may have lost its message: one more is harmless (the consumer is idempotent).
	const provision = job && (job.created || job.state === JOB.confirmed) ? job : undefined;
	const notice = noticeFor(change, clientId);
	const messages: WorkMessage[] = [
		...(provision ? [provisionMessage(provision.id, clientId)] : []),
		...(notice ? [notice] : []),
		// The batch left the plan's outbox marker; this tells the app sooner than the reconciler's sweep.
		...(forApp ? [{ type: "app_sync" as const, clientId }] : []),
	];
	await enqueueOrForget(deps, ledger, messages, clientId);
	if (provision) {
		log("PROVISIONING_ENQUEUED", {
			client_id: clientId,
			job_id: provision.id,
			checkout_session_id: change.checkoutSessionId,
		});
	}
	return { status: "applied", clientId, jobId: job?.id, enqueued: provision !== undefined };
}

/**
 * Sends the event's work. If the queue refuses, the ledger entry is undone so
 * Stripe's retry runs the event again (a 500); if even that fails, the
 * reconciler re-enqueues a waiting job.
 */
async function enqueueOrForget(deps: PaymentDeps, ledger: LedgerEntry, messages: WorkMessage[], clientId?: string) {
	if (messages.length === 0) return;
	try {
		if (messages.length === 1 && messages[0]) await deps.queue.send(messages[0], { contentType: "json" });
		else await deps.queue.sendBatch(messages.map((body) => ({ body, contentType: "json" as const })));
	} catch (error) {
		await forgetLedgerEntry(deps.db, ledger.eventId, ledger.nonce).catch(() => {});
		const provisioning = messages.some((m) => m.type === "provision");
		log(provisioning ? "PROVISIONING_ENQUEUE_FAILED" : "WORK_ENQUEUE_FAILED", {
			client_id: clientId ?? null,
			types: messages.map((m) => m.type).join(","),
			error: errorMessage(error),
		});
		throw new EnqueueError(`queue send failed: ${errorMessage(error)}`);
	}
}
