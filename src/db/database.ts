// The drizzle handle over the D1 binding, one per binding. Every query module
// in this folder takes it; nothing outside db/ speaks SQL.
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";

export type Db = DrizzleD1Database & { $client: D1Database };

const dbs = new WeakMap<D1Database, Db>();

export function database(d1: D1Database): Db {
	let db = dbs.get(d1);
	if (!db) {
		// No schema argument: nothing here uses drizzle's relational queries, and
		// without one it builds no relational config at start-up.
		db = drizzle(d1);
		dbs.set(d1, db);
	}
	return db;
}

/** `'a', 'b'` for a written-out SQL `in (…)` list. Only for our own constants, never for input. */
export function sqlList(values: readonly string[]): string {
	return values.map((v) => `'${v}'`).join(", ");
}
