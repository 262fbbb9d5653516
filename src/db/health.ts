// Reads behind the doctor's dead-man's switch: when Stripe last reached us, and
// how many payments were confirmed by asking Stripe instead.
import { and, inArray, sql } from "drizzle-orm";
import type { Db } from "./database";
import { jobs, webhookEvents } from "./schema";

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
