// The provisioning job's life: claimed by one consumer at a time (a lease),
// completed, deferred, released to retry, failed, reset by an operator, and
// re-enqueued by the reconciler. One job per client.
import { and, eq, inArray, isNull, lt, lte, ne, or, sql } from "drizzle-orm";
import { CLAIMABLE_JOB_STATES, JOB } from "../rules/job-states";
import { deliveryInsert, type NewDelivery } from "./app-deliveries";
import type { Db } from "./database";
import { clients, jobs } from "./schema";

export function findJobByClient(db: Db, clientId: string) {
	return db.select().from(jobs).where(eq(jobs.clientId, clientId)).get();
}

export function findJob(db: Db, jobId: string) {
	return db.select().from(jobs).where(eq(jobs.id, jobId)).get();
}

/**
 * Claims a job for one consumer until `now + leaseMs`: PROVISIONING_STARTED,
 * one more attempt. Undefined when it is done, failed, or another consumer
 * holds an unexpired lease, so two deliveries of its message never run it at once.
 */
export function claimJob(db: Db, jobId: string, now: number, leaseMs: number) {
	return db
		.update(jobs)
		.set({
			state: JOB.started,
			attempts: sql`${jobs.attempts} + 1`,
			leaseUntil: now + leaseMs,
			notBefore: null,
			updatedAt: now,
		})
		.where(
			and(
				eq(jobs.id, jobId),
				inArray(jobs.state, CLAIMABLE_JOB_STATES),
				or(isNull(jobs.leaseUntil), lte(jobs.leaseUntil, now)),
			),
		)
		.returning()
		.get();
}

/**
 * Done: the welcome email went out. With the operator's app configured, its
 * `customer.onboarded` delivery is written in the same batch, with what the
 * app is thereby told of the plan.
 */
export async function completeJob(
	db: Db,
	jobId: string,
	now: number,
	tell?: { delivery: NewDelivery; access: string; reason: string; planCode: string },
) {
	const complete = db
		.update(jobs)
		.set({ state: JOB.completed, lastError: null, leaseUntil: null, completedAt: now, updatedAt: now })
		.where(eq(jobs.id, jobId));
	if (!tell) {
		await complete;
		return;
	}
	await db.batch([
		complete,
		deliveryInsert(db, tell.delivery, now),
		db
			.update(clients)
			.set({ announcedAccess: tell.access, announcedReason: tell.reason, announcedPlanCode: tell.planCode })
			.where(eq(clients.id, tell.delivery.clientId)),
	]);
}

/** A failed attempt: the lease ends so the queue's retry can claim it again. */
export async function releaseJob(db: Db, jobId: string, error: string, now: number) {
	await db.update(jobs).set({ lastError: error, leaseUntil: null, updatedAt: now }).where(eq(jobs.id, jobId));
}

/** Waiting for the mail provider until `until`: not a failure, and not stuck. */
export async function deferJob(db: Db, jobId: string, until: number, reason: string, now: number) {
	await db
		.update(jobs)
		.set({ leaseUntil: null, notBefore: until, lastError: reason, updatedAt: now })
		.where(eq(jobs.id, jobId));
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
			leaseUntil: null,
			updatedAt: now,
		})
		.where(and(eq(jobs.id, jobId), ne(jobs.state, JOB.completed)))
		.returning({ id: jobs.id, clientId: jobs.clientId, lastError: jobs.lastError })
		.get();
}

/** Operator retry: a failed (or stuck) job starts a fresh run, its counters and last error cleared. */
export function resetJob(db: Db, jobId: string, now: number) {
	return db
		.update(jobs)
		.set({
			state: JOB.confirmed,
			// A new run: a new idempotency key and a new link, never a replay of the failed run's email.
			generation: sql`${jobs.generation} + 1`,
			attempts: 0,
			requeues: 0,
			lastError: null,
			leaseUntil: null,
			notBefore: null,
			queuedAt: now,
			updatedAt: now,
		})
		.where(and(eq(jobs.id, jobId), ne(jobs.state, JOB.completed)))
		.returning()
		.get();
}

/** Waiting jobs untouched since `olderThan`, not leased and not deferred past `now`. */
export function stuckJobs(db: Db, olderThan: number, now: number, limit: number) {
	return db
		.select({
			id: jobs.id,
			clientId: jobs.clientId,
			state: jobs.state,
			requeues: jobs.requeues,
			lastError: jobs.lastError,
			queuedAt: jobs.queuedAt,
			updatedAt: jobs.updatedAt,
		})
		.from(jobs)
		.where(
			and(
				inArray(jobs.state, CLAIMABLE_JOB_STATES),
				lt(jobs.updatedAt, olderThan),
				or(isNull(jobs.leaseUntil), lte(jobs.leaseUntil, now)),
				or(isNull(jobs.notBefore), lte(jobs.notBefore, now)),
			),
		)
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

/** Of these Checkout Session ids, the ones whose client already has a job. */
export async function sessionsWithJobs(db: Db, sessionIds: string[]): Promise<Set<string>> {
	if (sessionIds.length === 0) return new Set();
	const rows = await db
		.select({ sessionId: clients.checkoutSessionId })
		.from(clients)
		.innerJoin(jobs, eq(jobs.clientId, clients.id))
		.where(inArray(clients.checkoutSessionId, sessionIds))
		.all();
	return new Set(rows.map((r) => r.sessionId).filter((id): id is string => id !== null));
}
