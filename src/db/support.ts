// Reads for support and the operator: jobs by state and the ones needing a
// person, customers by CRN or email, a client's ledger and the newest webhook
// events. Read-only; every action is an operation of its own.
import { desc, eq, inArray, type SQL, sql } from "drizzle-orm";
import { JOB, type JobState } from "../rules/job-states";
import type { Db } from "./database";
import { stuckJobs } from "./jobs";
import { PLAN_FACTS } from "./plan-facts";
import { clients, jobs, webhookEvents } from "./schema";

export function listJobs(db: Db, state: JobState | undefined, limit: number) {
	return db
		.select({
			id: jobs.id,
			clientId: jobs.clientId,
			crn: clients.crn,
			state: jobs.state,
			attempts: jobs.attempts,
			requeues: jobs.requeues,
			lastError: jobs.lastError,
			source: jobs.source,
			createdAt: jobs.createdAt,
			completedAt: jobs.completedAt,
			updatedAt: jobs.updatedAt,
		})
		.from(jobs)
		.innerJoin(clients, eq(clients.id, jobs.clientId))
		.where(state ? eq(jobs.state, state) : undefined)
		.orderBy(desc(jobs.updatedAt))
		.limit(limit)
		.all();
}

export function ledgerForClient(db: Db, clientId: string, limit = 50) {
	return db
		.select({
			id: webhookEvents.id,
			type: webhookEvents.type,
			eventCreated: webhookEvents.eventCreated,
			receivedAt: webhookEvents.receivedAt,
		})
		.from(webhookEvents)
		.where(eq(webhookEvents.clientId, clientId))
		.orderBy(desc(webhookEvents.receivedAt))
		.limit(limit)
		.all();
}

const emailDomain = sql<string>`substr(${clients.email}, instr(${clients.email}, '@') + 1)`;

export interface AttentionJob {
	reason: "failed" | "stuck";
	jobId: string;
	clientId: string;
	crn: string;
	/** Only the domain: this list is a screen an operator may share; the full email is one search away. */
	emailDomain: string;
	state: JobState;
	lastError: string | null;
	queuedAt: number;
	updatedAt: number;
}

/**
 * FAILED jobs (newest first), then stuck ones as the reconciler sees them
 * (`stuckJobs`: waiting, untouched since `stuckBefore`, not leased, not deferred).
 */
export async function jobsNeedingAttention(
	db: Db,
	now: number,
	stuckBefore: number,
	limit: number,
): Promise<AttentionJob[]> {
	const [failed, stuck] = await Promise.all([
		db
			.select({
				jobId: jobs.id,
				clientId: jobs.clientId,
				crn: clients.crn,
				emailDomain,
				state: jobs.state,
				lastError: jobs.lastError,
				queuedAt: jobs.queuedAt,
				updatedAt: jobs.updatedAt,
			})
			.from(jobs)
			.innerJoin(clients, eq(clients.id, jobs.clientId))
			.where(eq(jobs.state, JOB.failed))
			.orderBy(desc(jobs.updatedAt))
			.limit(limit)
			.all(),
		stuckJobs(db, stuckBefore, now, limit),
	]);
	const labels = new Map(
		stuck.length === 0
			? []
			: (
					await db
						.select({ id: clients.id, crn: clients.crn, emailDomain })
						.from(clients)
						.where(
							inArray(
								clients.id,
								stuck.map((j) => j.clientId),
							),
						)
						.all()
				).map((row) => [row.id, row]),
	);
	return [
		...failed.map((job) => ({ reason: "failed" as const, ...job })),
		...stuck.map((job) => ({
			reason: "stuck" as const,
			jobId: job.id,
			clientId: job.clientId,
			crn: labels.get(job.clientId)?.crn ?? "",
			emailDomain: labels.get(job.clientId)?.emailDomain ?? "",
			state: job.state,
			lastError: job.lastError,
			queuedAt: job.queuedAt,
			updatedAt: job.updatedAt,
		})),
	];
}

/** Clients by exact CRN or by email (any of `emails`), newest first, with their job's state. */
export function findClients(db: Db, by: { crn: string } | { emails: string[] }, limit = 20) {
	const where: SQL = "crn" in by ? eq(clients.crn, by.crn) : inArray(clients.email, by.emails);
	return db
		.select({
			...PLAN_FACTS,
			email: clients.email,
			name: clients.name,
			jobState: jobs.state,
			createdAt: clients.createdAt,
		})
		.from(clients)
		.leftJoin(jobs, eq(jobs.clientId, clients.id))
		.where(where)
		.orderBy(desc(clients.createdAt))
		.limit(limit)
		.all();
}

/** The newest ledger entries, each with the CRN of its client when that client exists. */
export function recentLedger(db: Db, limit: number) {
	return db
		.select({
			id: webhookEvents.id,
			type: webhookEvents.type,
			receivedAt: webhookEvents.receivedAt,
			clientId: webhookEvents.clientId,
			crn: clients.crn,
			deliveries: webhookEvents.deliveries,
		})
		.from(webhookEvents)
		.leftJoin(clients, eq(clients.id, webhookEvents.clientId))
		.orderBy(desc(webhookEvents.receivedAt))
		.limit(limit)
		.all();
}
