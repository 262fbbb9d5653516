// The most recently changed plans that have a login, with the facts their
// access is derived from: the console's access/reason filter and the dev
// tools' customer list read this.
import { desc, isNotNull } from "drizzle-orm";
import type { Db } from "./database";
import { PLAN_FACTS } from "./plan-facts";
import { clients } from "./schema";

/** At most this many plans are read per filter: the filter is a support tool over recent activity, not a report. */
export const MAX_RECENT_PLANS = 500;

/**
 * Newest change first. clients has no index on updated_at: sorting at most the
 * plans with a login is one scan, and this runs on an operator's click, never
 * on a customer's path.
 */
export function recentPlansWithLogin(db: Db, limit = MAX_RECENT_PLANS) {
	return db
		.select({ ...PLAN_FACTS, email: clients.email, name: clients.name, updatedAt: clients.updatedAt })
		.from(clients)
		.where(isNotNull(clients.userId))
		.orderBy(desc(clients.updatedAt))
		.limit(Math.min(limit, MAX_RECENT_PLANS))
		.all();
}
