// The cron reconciler: a pure plan over stuck jobs, and an executor that
// re-enqueues them and provisions paid Checkout Sessions no webhook reported.
import type Stripe from "stripe";
import type { Db } from "../db/database";
import { failJob, markRequeued, stuckJobs } from "../db/jobs";
import { sessionsWithJobs } from "../db/ops";
import { errorMessage, log } from "../log";
import type { JobState } from "../rules/job-states";
import { isPaidCheckout } from "../rules/subscription-status";
import type { StripeApi } from "../stripe/api";
import { type ProvisioningQueue, provisionMessage } from "./provisioning-message";
import { applyCheckoutSessionFromStripe } from "./stripe-sync";

/** A job untouched this long lost its message or its consumer. */
export const STUCK_AFTER_MS = 2 * 60_000;
/**
 * A job whose last attempt failed is being retried by the queue (backoff up to
 * 405 s, then the dead-letter queue): only past the whole retry window is it lost.
 */
export const RETRYING_STUCK_AFTER_MS = 15 * 60_000;
export const MAX_REQUEUES_PER_RUN = 50;
/** After this many re-enqueues a job is failed for an operator instead of looping. */
export const MAX_REQUEUES_PER_JOB = 10;
/**
 * Stripe retries a failed delivery for up to three days in live mode (a few
 * hours in test mode); a session completes at most 24 h after creation.
 */
export const STRIPE_LOOKBACK_SECONDS = 4 * 24 * 3600;
export const MAX_STRIPE_PAGES = 3;

export interface StuckJob {
	id: string;
	clientId: string;
	state: JobState;
	requeues: number;
	lastError: string | null;
	updatedAt: number;
}

export interface RequeuePlan {
	requeue: StuckJob[];
	fail: StuckJob[];
}

export function planRequeue(stuck: readonly StuckJob[], now: number): RequeuePlan {
	const plan: RequeuePlan = { requeue: [], fail: [] };
	for (const job of stuck) {
		if (now - job.updatedAt < (job.lastError ? RETRYING_STUCK_AFTER_MS : STUCK_AFTER_MS)) continue;
		(job.requeues >= MAX_REQUEUES_PER_JOB ? plan.fail : plan.requeue).push(job);
	}
	return plan;
}

export interface ReconcileDeps {
	db: Db;
	queue: ProvisioningQueue;
	stripe: StripeApi | null;
	now: number;
}

export interface ReconcileReport {
	requeued: number;
	failed: number;
	stripeChecked: number;
	stripeProvisioned: number;
}

export async function requeueStuckJobs(deps: ReconcileDeps): Promise<{ requeued: number; failed: number }> {
	const { db, now } = deps;
	const plan = planRequeue(await stuckJobs(db, now - STUCK_AFTER_MS, MAX_REQUEUES_PER_RUN), now);
	if (plan.requeue.length > 0) {
		await deps.queue.sendBatch(
			plan.requeue.map((job) => ({ body: provisionMessage(job.id, job.clientId), contentType: "json" as const })),
		);
		await markRequeued(
			db,
			plan.requeue.map((j) => j.id),
			now,
		);
		for (const job of plan.requeue) {
			log("RECONCILE_REQUEUED", {
				job_id: job.id,
				client_id: job.clientId,
				state: job.state,
				requeues: job.requeues + 1,
			});
		}
	}
	for (const job of plan.fail) {
		await failJob(db, job.id, `still ${job.state} after ${job.requeues} re-enqueues`, now);
		log("PROVISIONING_FAILED", { job_id: job.id, client_id: job.clientId, error: "re-enqueue limit reached" });
	}
	return { requeued: plan.requeue.length, failed: plan.fail.length };
}

/** Provisions paid sessions that Stripe lists as complete but no webhook reported. */
export async function reconcileWithStripe(deps: ReconcileDeps): Promise<{ checked: number; provisioned: number }> {
	if (!deps.stripe) return { checked: 0, provisioned: 0 };
	const createdGte = Math.floor(deps.now / 1000) - STRIPE_LOOKBACK_SECONDS;
	let checked = 0;
	let provisioned = 0;
	let startingAfter: string | undefined;
	for (let page = 0; page < MAX_STRIPE_PAGES; page++) {
		const list: Stripe.ApiList<Stripe.Checkout.Session> = await deps.stripe.listCheckoutSessions({
			status: "complete",
			createdGte,
			limit: 100,
			startingAfter,
		});
		const ours = list.data.filter(
			(s) => (s.client_reference_id || s.metadata?.client_id) && isPaidCheckout(s.payment_status),
		);
		checked += list.data.length;
		const done = await sessionsWithJobs(
			deps.db,
			ours.map((s) => s.id),
		);
		for (const session of ours) {
			if (done.has(session.id)) continue;
			const outcome = await applyCheckoutSessionFromStripe(deps, session, "reconcile");
			if (outcome?.status === "applied") {
				provisioned++;
				log("RECONCILE_STRIPE_PROVISIONED", {
					client_id: outcome.clientId,
					job_id: outcome.jobId,
					checkout_session_id: session.id,
				});
			}
		}
		const last = list.data[list.data.length - 1];
		if (!list.has_more || !last) break;
		startingAfter = last.id;
	}
	return { checked, provisioned };
}

export async function reconcile(deps: ReconcileDeps): Promise<ReconcileReport> {
	const jobsResult = await requeueStuckJobs(deps);
	let stripeResult = { checked: 0, provisioned: 0 };
	try {
		stripeResult = await reconcileWithStripe(deps);
	} catch (error) {
		// Stripe being down must not stop the job half of the run.
		log("RECONCILE_FAILED", { step: "stripe", error: errorMessage(error) });
	}
	const report = {
		requeued: jobsResult.requeued,
		failed: jobsResult.failed,
		stripeChecked: stripeResult.checked,
		stripeProvisioned: stripeResult.provisioned,
	};
	log("RECONCILE_DONE", {
		requeued: report.requeued,
		failed: report.failed,
		stripe_checked: report.stripeChecked,
		stripe_provisioned: report.stripeProvisioned,
	});
	return report;
}
