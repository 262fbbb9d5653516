// The outbox transport's table: one stored message per idempotency key.
import { desc, eq, sql } from "drizzle-orm";
import type { Db } from "./database";
import { outbox } from "./schema";

/** Returns false when a message with this idempotency key was already stored. */
export async function insertOutboxMessage(db: Db, row: typeof outbox.$inferInsert): Promise<boolean> {
	const inserted = await db.insert(outbox).values(row).onConflictDoNothing().returning({ id: outbox.id }).get();
	return inserted !== undefined;
}

export function listOutbox(db: Db, limit: number) {
	return db.select().from(outbox).orderBy(desc(outbox.createdAt)).limit(limit).all();
}

export function outboxFor(db: Db, toAddress: string) {
	return db.select().from(outbox).where(eq(outbox.toAddress, toAddress)).orderBy(desc(outbox.createdAt)).all();
}

/** Housekeeping: stored emails hold live links and whole bodies, so none is kept past `before`. Bounded per call. */
export async function deleteOutboxBefore(db: Db, before: number, limit: number): Promise<number> {
	const rows = await db
		.delete(outbox)
		.where(
			sql`${outbox.id} in (select ${outbox.id} from ${outbox} where ${outbox.createdAt} < ${before} limit ${limit})`,
		)
		.returning({ id: outbox.id });
	return rows.length;
}
