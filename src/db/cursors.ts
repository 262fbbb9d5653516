// Small named values kept between cron runs, such as the reconciler's place in
// Stripe's list of Checkout Sessions. Stored as JSON text.
import { eq } from "drizzle-orm";
import type { Db } from "./database";
import { cursors } from "./schema-service";

export async function readCursor(db: Db, name: string): Promise<unknown> {
	const row = await db.select({ value: cursors.value }).from(cursors).where(eq(cursors.name, name)).get();
	if (!row) return undefined;
	try {
		return JSON.parse(row.value) as unknown;
	} catch {
		return undefined;
	}
}

export async function writeCursor(db: Db, name: string, value: unknown, now: number): Promise<void> {
	const text = JSON.stringify(value);
	await db
		.insert(cursors)
		.values({ name, value: text, updatedAt: now })
		.onConflictDoUpdate({ target: cursors.name, set: { value: text, updatedAt: now } });
}

export async function deleteCursor(db: Db, name: string): Promise<boolean> {
	const rows = await db.delete(cursors).where(eq(cursors.name, name)).returning({ name: cursors.name });
	return rows.length > 0;
}
