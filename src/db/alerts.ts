// Storage behind the operator's alerts: one row per problem with what was last
// sent and when (the hourly dedupe), the newest message for the doctor, and the
// failed jobs an alert names.
import { desc, eq, inArray, or } from "drizzle-orm";
import { JOB } from "../rules/job-states";
import type { Db } from "./database";
import { clients, jobs } from "./schema";
import { alerts } from "./schema-service";

export type AlertRow = typeof alerts.$inferSelect;

/** The rows of these problems, and every problem still open (it may have cleared). */
export function alertRowsFor(db: Db, keys: string[]): Promise<AlertRow[]> {
	const open = eq(alerts.state, "open");
	return db
		.select()
		.from(alerts)
		.where(keys.length > 0 ? or(open, inArray(alerts.key, keys)) : open)
		.all();
}

export async function saveAlert(db: Db, row: AlertRow): Promise<void> {
	const { key: _key, ...changes } = row;
	await db.insert(alerts).values(row).onConflictDoUpdate({ target: alerts.key, set: changes });
}

export function lastAlertSent(db: Db): Promise<AlertRow | undefined> {
	return db.select().from(alerts).orderBy(desc(alerts.lastSentAt)).limit(1).get();
}

/** FAILED jobs, newest first, with the customer's CRN and the error that failed them. */
export function failedJobs(db: Db, limit: number) {
	return db
		.select({ id: jobs.id, crn: clients.crn, lastError: jobs.lastError, failedAt: jobs.updatedAt })
		.from(jobs)
		.innerJoin(clients, eq(clients.id, jobs.clientId))
		.where(eq(jobs.state, JOB.failed))
		.orderBy(desc(jobs.updatedAt))
		.limit(limit)
		.all();
}
