// Client rows: one per checkout, created before Stripe is called. Lookups by
// id, CRN and Checkout Session, and the marks the status route keeps.
import { and, eq, isNull, lt, or } from "drizzle-orm";
import type { PaymentChange } from "../stripe/events";
import type { Db } from "./database";
import { clients } from "./schema";

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
