// Writes only the development tools make (src/routes/dev.ts): the dev stand-in
// for what Stripe would know about a plan's payment. Never used in production.
import { and, desc, eq } from "drizzle-orm";
import type { Db } from "./database";
import { clients, disputes } from "./schema";

/**
 * Gives the plan a payment intent for refunds and disputes to name, keeping
 * one it already has (a one-time purchase's), and returns the one it holds.
 */
export async function recordDevPaymentIntent(db: Db, clientId: string, paymentIntentId: string, now: number) {
	const current = await db
		.select({ paymentIntentId: clients.paymentIntentId })
		.from(clients)
		.where(eq(clients.id, clientId))
		.get();
	if (current?.paymentIntentId) return current.paymentIntentId;
	await db.update(clients).set({ paymentIntentId, updatedAt: now }).where(eq(clients.id, clientId));
	return paymentIntentId;
}

/** The plan's newest dispute still open, for a dev "won" or "lost" to close. */
export async function openDisputeOf(db: Db, clientId: string): Promise<string | undefined> {
	const row = await db
		.select({ id: disputes.id })
		.from(disputes)
		.where(and(eq(disputes.clientId, clientId), eq(disputes.status, "open")))
		.orderBy(desc(disputes.createdAt))
		.get();
	return row?.id;
}
