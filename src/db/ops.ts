// Reads for operators and for the doctor: job lists, a client's ledger, the
// dead-man's switch figures, and which Stripe sessions already have a job.
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { JobState } from "../rules/job-states";
import type { Db } from "./database";
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

export async function lastWebhookReceivedAt(db: Db): Promise<number | null> {
	const row = await db
		.select({ at: sql<number | null>`max(${webhookEvents.receivedAt})` })
		.from(webhookEvents)
		.where(sql`${webhookEvents.id} like 'evt_%'`)
		.get();
	return row?.at ?? null;
}

/** Jobs created in the window by asking Stripe rather than by a webhook. */
export async function recentSyncConfirmations(db: Db, since: number): Promise<number> {
	const row = await db
		.select({ n: sql<number>`count(*)` })
		.from(jobs)
		.where(and(inArray(jobs.source, ["sync", "reconcile"]), sql`${jobs.createdAt} >= ${since}`))
		.get();
	return row?.n ?? 0;
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
