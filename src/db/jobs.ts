// The provisioning job's life: claimed by a consumer, completed, failed, reset
// by an operator, re-enqueued by the reconciler. One job per client.
import { and, eq, inArray, lt, ne, sql } from "drizzle-orm";
import { CLAIMABLE_JOB_STATES, JOB } from "../rules/job-states";
import type { Db } from "./database";
import { jobs } from "./schema";

export function findJobByClient(db: Db, clientId: string) {
	return db.select().from(jobs).where(eq(jobs.clientId, clientId)).get();
}

/** Moves a job into PROVISIONING_STARTED unless it is already done or failed. */
export function startJob(db: Db, jobId: string, now: number) {
	return db
		.update(jobs)
		.set({ state: JOB.started, attempts: sql`${jobs.attempts} + 1`, updatedAt: now })
		.where(and(eq(jobs.id, jobId), inArray(jobs.state, CLAIMABLE_JOB_STATES)))
		.returning()
		.get();
}

export async function completeJob(db: Db, jobId: string, now: number) {
	await db.update(jobs).set({ state: JOB.completed, lastError: null, updatedAt: now }).where(eq(jobs.id, jobId));
}

export async function recordJobError(db: Db, jobId: string, error: string, now: number) {
	await db.update(jobs).set({ lastError: error, updatedAt: now }).where(eq(jobs.id, jobId));
}

/**
 * FAILED is final until an operator retries; a completed job is never failed.
 * With no error given, the last recorded one is kept (dead-letter path).
 */
export async function failJob(db: Db, jobId: string, error: string | null, now: number) {
	return db
		.update(jobs)
		.set({
			state: JOB.failed,
			lastError: sql`coalesce(${error}, ${jobs.lastError}, 'retries exhausted')`,
			updatedAt: now,
		})
		.where(and(eq(jobs.id, jobId), ne(jobs.state, JOB.completed)))
		.returning({ id: jobs.id, clientId: jobs.clientId, lastError: jobs.lastError })
		.get();
}

/** Operator retry: a failed (or stuck) job goes back to the start with fresh attempts. */
export function resetJob(db: Db, jobId: string, now: number) {
	return db
		.update(jobs)
		.set({ state: JOB.confirmed, attempts: 0, updatedAt: now })
		.where(and(eq(jobs.id, jobId), ne(jobs.state, JOB.completed)))
		.returning()
		.get();
}

export function stuckJobs(db: Db, olderThan: number, limit: number) {
	return db
		.select({
			id: jobs.id,
			clientId: jobs.clientId,
			state: jobs.state,
			requeues: jobs.requeues,
			lastError: jobs.lastError,
			updatedAt: jobs.updatedAt,
		})
		.from(jobs)
		.where(and(inArray(jobs.state, CLAIMABLE_JOB_STATES), lt(jobs.updatedAt, olderThan)))
		.orderBy(jobs.updatedAt)
		.limit(limit)
		.all();
}

export async function markRequeued(db: Db, jobIds: string[], now: number) {
	if (jobIds.length === 0) return;
	await db
		.update(jobs)
		.set({ requeues: sql`${jobs.requeues} + 1`, updatedAt: now })
		.where(inArray(jobs.id, jobIds));
}
