// The deliveries to the operator's own app, and the outbox marker on a plan
// (`access_dirty_at`) that a change to its access leaves in the same batch. A
// delivery row is written in one batch with what it announces (the plan's
// `announced_*`), so the app is told each change once, and none is lost.
import { and, desc, eq, gte, inArray, isNotNull, lte, sql } from "drizzle-orm";
import type { Db } from "./database";
import { PLAN_FACTS } from "./plan-facts";
import { appDeliveries, clients, users } from "./schema";

export type DeliveryRow = typeof appDeliveries.$inferSelect;

export interface NewDelivery {
	id: string;
	type: string;
	clientId: string;
	crn: string;
	payload: string;
}

function insertStatement(db: Db, d: NewDelivery, now: number) {
	return db
		.insert(appDeliveries)
		.values({ ...d, status: "pending", nextAttemptAt: now, createdAt: now, updatedAt: now });
}

/** A plan and its login, with what the app was last told of it. */
export function planToAnnounce(db: Db, clientId: string) {
	return db
		.select({
			...PLAN_FACTS,
			email: users.email,
			userId: clients.userId,
			accessDirtyAt: clients.accessDirtyAt,
			announcedAccess: clients.announcedAccess,
			announcedReason: clients.announcedReason,
			announcedPlanCode: clients.announcedPlanCode,
		})
		.from(clients)
		.leftJoin(users, eq(users.id, clients.userId))
		.where(eq(clients.id, clientId))
		.get();
}

/**
 * Records what the app is told of a plan, with the delivery that tells it (or
 * none when nothing changed), and clears the plan's marker unless a newer
 * change set it again meanwhile.
 */
export async function announce(
	db: Db,
	clientId: string,
	told: { access: string; reason: string; planCode: string },
	dirtyAt: number | null,
	delivery: NewDelivery | null,
	now: number,
) {
	const update = db
		.update(clients)
		.set({
			announcedAccess: told.access,
			announcedReason: told.reason,
			announcedPlanCode: told.planCode,
			accessDirtyAt: sql`case when ${clients.accessDirtyAt} = ${dirtyAt ?? -1} then null else ${clients.accessDirtyAt} end`,
		})
		.where(eq(clients.id, clientId));
	if (delivery) await db.batch([insertStatement(db, delivery, now), update]);
	else await update;
}

/** Marks a plan for the app's attention (time moved its access: a grace period ran out). */
export async function markAccessDirty(db: Db, clientIds: string[], now: number) {
	if (clientIds.length === 0) return;
	await db
		.update(clients)
		.set({ accessDirtyAt: now })
		.where(and(inArray(clients.id, clientIds), sql`${clients.accessDirtyAt} is null`));
}

/** The insert statement for a delivery, for a caller's own batch (provisioning's completion). */
export const deliveryInsert = insertStatement;

export function findDelivery(db: Db, id: string) {
	return db.select().from(appDeliveries).where(eq(appDeliveries.id, id)).get();
}

/** One attempt's outcome. */
export async function recordAttempt(
	db: Db,
	id: string,
	result:
		| { delivered: true; status: number }
		| { delivered: false; status: number | null; error: string; nextAttemptAt: number | null },
	now: number,
) {
	await db
		.update(appDeliveries)
		.set(
			result.delivered
				? {
						status: "delivered",
						attempts: sql`${appDeliveries.attempts} + 1`,
						lastStatus: result.status,
						lastError: null,
						deliveredAt: now,
						nextAttemptAt: null,
						updatedAt: now,
					}
				: {
						status: result.nextAttemptAt === null ? "failed" : "pending",
						attempts: sql`${appDeliveries.attempts} + 1`,
						lastStatus: result.status,
						lastError: result.error,
						nextAttemptAt: result.nextAttemptAt,
						updatedAt: now,
					},
		)
		.where(and(eq(appDeliveries.id, id), eq(appDeliveries.status, "pending")));
}

/** "Send again": a failed delivery starts its schedule over, with the same id. */
export function resetDelivery(db: Db, id: string, now: number) {
	return db
		.update(appDeliveries)
		.set({ status: "pending", attempts: 0, nextAttemptAt: now, updatedAt: now })
		.where(and(eq(appDeliveries.id, id), eq(appDeliveries.status, "failed")))
		.returning({ id: appDeliveries.id })
		.get();
}

/** The reconciler's sweep: plans marked longer than `before`, and pending deliveries overdue since `before`. */
export async function overdueWork(db: Db, before: number, limit: number) {
	const [dirty, due] = await db.batch([
		db.select({ id: clients.id }).from(clients).where(lte(clients.accessDirtyAt, before)).limit(limit),
		db
			.select({ id: appDeliveries.id })
			.from(appDeliveries)
			.where(and(eq(appDeliveries.status, "pending"), lte(appDeliveries.nextAttemptAt, before)))
			.limit(limit),
	]);
	return { dirty: dirty.map((r) => r.id), due: due.map((r) => r.id) };
}

/** Plans the app was told are past due whose grace has run out by `now`. */
export async function graceRanOut(db: Db, now: number, graceMs: number, limit: number) {
	const rows = await db
		.select({ id: clients.id })
		.from(clients)
		.where(
			and(
				eq(clients.announcedAccess, "past_due"),
				isNotNull(clients.pastDueSince),
				lte(clients.pastDueSince, now - graceMs),
				sql`${clients.accessDirtyAt} is null`,
			),
		)
		.limit(limit)
		.all();
	return rows.map((r) => r.id);
}

/** The console's list: failed first, then retrying, then the newest delivered. */
export function recentDeliveries(db: Db, limit: number) {
	return db
		.select()
		.from(appDeliveries)
		.orderBy(
			sql`case ${appDeliveries.status} when 'failed' then 0 when 'pending' then 1 else 2 end`,
			desc(appDeliveries.updatedAt),
		)
		.limit(limit)
		.all();
}

/** Deliveries of the window by state now: delivered, retrying, failed. */
export async function deliveryFigures(db: Db, since: number) {
	const rows = await db
		.select({ status: appDeliveries.status, n: sql<number>`count(*)` })
		.from(appDeliveries)
		.where(gte(appDeliveries.createdAt, since))
		.groupBy(appDeliveries.status)
		.all();
	const of = (status: string) => rows.find((r) => r.status === status)?.n ?? 0;
	return { delivered: of("delivered"), retrying: of("pending"), failed: of("failed") };
}

/** The doctor's check: attempts in the window, and how many of them failed. */
export async function recentAttemptFailures(db: Db, since: number) {
	const row = await db
		.select({
			attempted: sql<number>`count(*)`,
			failing: sql<number>`sum(case when ${appDeliveries.status} <> 'delivered' and ${appDeliveries.attempts} > 0 then 1 else 0 end)`,
			delivered: sql<number>`sum(case when ${appDeliveries.status} = 'delivered' then 1 else 0 end)`,
		})
		.from(appDeliveries)
		.where(gte(appDeliveries.updatedAt, since))
		.get();
	return { attempted: row?.attempted ?? 0, failing: row?.failing ?? 0, delivered: row?.delivered ?? 0 };
}
