// Putting provisioning jobs back on the work queue: the reconciler's pure plan
// over stuck jobs and its executor, and an operator's Retry of one job. Both
// send the same message the payment path sends.

import type { Db } from "../db/database";
import { failJob, findJob, markRequeued, resetJob, stuckJobs } from "../db/jobs";
import { log } from "../log";
import { GIVE_UP_AFTER_MS, type JobState, RETRYING_STUCK_AFTER_MS, STUCK_AFTER_MS } from "../rules/job-states";
import { provisionMessage, type WorkQueue } from "../work/messages";

export const MAX_REQUEUES_PER_RUN = 50;

export interface StuckJob {
	id: string;
	clientId: string;
	state: JobState;
	requeues: number;
	lastError: string | null;
	queuedAt: number;
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
		(now - job.queuedAt >= GIVE_UP_AFTER_MS ? plan.fail : plan.requeue).push(job);
	}
	return plan;
}

export interface RequeueDeps {
	db: Db;
	queue: WorkQueue;
	now: number;
}

export async function requeueStuckJobs(deps: RequeueDeps): Promise<{ requeued: number; failed: number }> {
	const { db, now } = deps;
	const plan = planRequeue(await stuckJobs(db, now - STUCK_AFTER_MS, now, MAX_REQUEUES_PER_RUN), now);
	for (const job of plan.fail) {
		await failJob(
			db,
			job.id,
			`still ${job.state} ${Math.round((now - job.queuedAt) / 60_000)} min after it was queued`,
			now,
		);
		log("PROVISIONING_FAILED", { job_id: job.id, client_id: job.clientId, error: "gave up: too old" });
	}
	if (plan.requeue.length > 0) {
		// Marked only once the queue took them: a queue outage leaves them for the next run.
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
	return { requeued: plan.requeue.length, failed: plan.fail.length };
}

export type RetryResult =
	| { ok: true; job: { id: string; client_id: string; state: JobState } }
	| { ok: false; reason: "not_found" | "not_retryable" };

/** An operator's Retry: a failed or stuck job starts a fresh run, counters and last error cleared. */
export async function retryJob(deps: RequeueDeps, jobId: string): Promise<RetryResult> {
	const job = await resetJob(deps.db, jobId, deps.now);
	if (!job) return { ok: false, reason: (await findJob(deps.db, jobId)) ? "not_retryable" : "not_found" };
	await deps.queue.send(provisionMessage(job.id, job.clientId), { contentType: "json" });
	log("ADMIN_ACTION", { action: "retry_job", job_id: job.id, client_id: job.clientId });
	return { ok: true, job: { id: job.id, client_id: job.clientId, state: job.state } };
}
