// The reconciler's part for the operator's app: nothing recorded for it is
// lost when a queue message is. Plans whose outbox marker outlived its
// message, deliveries overdue for their next attempt, and plans the app was
// told are past due whose grace has since run out (time, not an event, moved
// them) all go back on the work queue. Bounded per run.
import type { Config } from "../config";
import { graceRanOut, markAccessDirty, overdueWork } from "../db/app-deliveries";
import type { Db } from "../db/database";
import type { WorkMessage, WorkQueue } from "../work/messages";
import { appTarget } from "./announce";

/** A message this late was lost (the queue delivers within seconds, or after its own delay). */
export const OVERDUE_AFTER_MS = 5 * 60_000;
const MAX_PER_RUN = 50;

export async function sweepAppWork(deps: {
	db: Db;
	queue: WorkQueue;
	config: Pick<Config, "app" | "pastDueGraceMs">;
	now: number;
}): Promise<{ synced: number; resent: number }> {
	if (!appTarget(deps.config)) return { synced: 0, resent: 0 };
	const ranOut = await graceRanOut(deps.db, deps.now, deps.config.pastDueGraceMs, MAX_PER_RUN);
	await markAccessDirty(deps.db, ranOut, deps.now);
	const overdue = await overdueWork(deps.db, deps.now - OVERDUE_AFTER_MS, MAX_PER_RUN);
	const messages: WorkMessage[] = [
		...[...new Set([...ranOut, ...overdue.dirty])].map((clientId) => ({ type: "app_sync" as const, clientId })),
		...overdue.due.map((deliveryId) => ({ type: "app_webhook" as const, deliveryId })),
	];
	if (messages.length > 0) {
		await deps.queue.sendBatch(messages.map((body) => ({ body, contentType: "json" as const })));
	}
	return { synced: messages.length - overdue.due.length, resent: overdue.due.length };
}
