// Client rows: one per checkout, created before Stripe is called. Lookups by
// id, CRN and Checkout Session, and the marks the status route keeps.
import { and, asc, eq, isNull, lt, or } from "drizzle-orm";
import { JOB } from "../rules/job-states";
import type { PaymentChange } from "../stripe/events";
import type { Db } from "./database";
import { clients, users } from "./schema";

export async function insertClient(db: Db, row: typeof clients.$inferInsert): Promise<void> {
	await db.insert(clients).values(row);
}

export async function setCheckoutSession(db: Db, clientId: string, sessionId: string, now: number) {
	await db.update(clients).set({ checkoutSessionId: sessionId, updatedAt: now }).where(eq(clients.id, clientId));
}

export function findClientById(db: Db, id: string) {
	return db.select().from(clients).where(eq(clients.id, id)).get();
}

export function findClientByCrn(db: Db, crn: string) {
	return db.select().from(clients).where(eq(clients.crn, crn)).get();
}

export function findClientBySessionId(db: Db, sessionId: string) {
	return db.select().from(clients).where(eq(clients.checkoutSessionId, sessionId)).get();
}

/** Resolves a client for an event that carries no client_id metadata. */
export async function findClientIdForChange(db: Db, change: PaymentChange): Promise<string | undefined> {
	const conditions = [];
	if (change.checkoutSessionId) conditions.push(eq(clients.checkoutSessionId, change.checkoutSessionId));
	if (change.subscriptionId) conditions.push(eq(clients.subscriptionId, change.subscriptionId));
	if (conditions.length === 0) return undefined;
	const row = await db
		.select({ id: clients.id })
		.from(clients)
		.where(or(...conditions))
		.get();
	return row?.id;
}

export async function markReturned(db: Db, clientId: string, now: number) {
	await db
		.update(clients)
		.set({ returnedAt: now })
		.where(and(eq(clients.id, clientId), isNull(clients.returnedAt)));
}

export async function markCheckoutOpen(db: Db, clientId: string, now: number) {
	await db.update(clients).set({ checkoutOpenAt: now }).where(eq(clients.id, clientId));
}

/**
 * Claims the right to ask Stripe about this client now: at most one caller per
 * interval wins, however many tabs poll at once.
 */
export async function claimStripeCheck(db: Db, clientId: string, now: number, intervalMs: number) {
	const row = await db
		.update(clients)
		.set({ stripeCheckedAt: now })
		.where(
			and(eq(clients.id, clientId), or(isNull(clients.stripeCheckedAt), lt(clients.stripeCheckedAt, now - intervalMs))),
		)
		.returning({ id: clients.id })
		.get();
	return row !== undefined;
}

/** The one-time purchase a payment intent paid for. */
export async function findClientIdByPaymentIntent(db: Db, paymentIntentId: string): Promise<string | undefined> {
	const row = await db
		.select({ id: clients.id })
		.from(clients)
		.where(eq(clients.paymentIntentId, paymentIntentId))
		.get();
	return row?.id;
}

export async function findClientIdBySubscription(db: Db, subscriptionId: string): Promise<string | undefined> {
	const row = await db.select({ id: clients.id }).from(clients).where(eq(clients.subscriptionId, subscriptionId)).get();
	return row?.id;
}

/**
 * Who a notice about this plan goes to: its login's email, greeted by the name
 * the login's first purchase gave; and the plan's state now, so a notice the
 * plan has moved past is not sent. Undefined until the plan has a login.
 */
export async function noticeTarget(db: Db, clientId: string) {
	const row = await db
		.select({
			email: users.email,
			userId: users.id,
			planCode: clients.planCode,
			subscriptionStatus: clients.subscriptionStatus,
			invoiceStatus: clients.invoiceStatus,
			invoiceEventAt: clients.invoiceEventAt,
			pastDueSince: clients.pastDueSince,
		})
		.from(clients)
		.innerJoin(users, eq(users.id, clients.userId))
		.where(eq(clients.id, clientId))
		.get();
	if (!row) return undefined;
	const first = await db
		.select({ name: clients.name })
		.from(clients)
		.where(eq(clients.userId, row.userId))
		.orderBy(asc(clients.createdAt))
		.limit(1)
		.get();
	return { ...row, name: first?.name ?? "" };
}

/**
 * A subscription made outside Checkout becomes a paid client with a waiting
 * job, in one batch. Once per subscription (unique index): a second delivery
 * finds the first one's client and job.
 */
export async function adoptClient(
	db: Db,
	row: typeof clients.$inferInsert & { subscriptionId: string },
	jobId: string,
) {
	const [, found] = await db.batch([
		db.insert(clients).values(row).onConflictDoNothing({ target: clients.subscriptionId }),
		db.select({ id: clients.id }).from(clients).where(eq(clients.subscriptionId, row.subscriptionId)),
	]);
	const clientId = found[0]?.id;
	if (!clientId) throw new Error("adopted client not found after insert");
	const job = await db.$client
		.prepare(
			`insert into jobs (id, client_id, state, attempts, source, requeues, queued_at, created_at, updated_at)
values (?1, ?2, '${JOB.confirmed}', 0, 'adopt', 0, ?3, ?3, ?3)
on conflict (client_id) do update set client_id = excluded.client_id
returning id, state`,
		)
		.bind(jobId, clientId, row.createdAt)
		.first<{ id: string; state: string }>();
	return { clientId, created: clientId === row.id, job };
}
