// Send slots for a rate-limited provider, shared by every consumer through one
// row: each claim takes the next free slot and moves it one interval on, so
// sends are spaced at the provider's rate however many consumers run.
import type { Db } from "./database";

const CLAIM_SQL = `insert into rate_gates (name, next_at) values (?1, ?2 + ?3)
on conflict (name) do update set next_at = max(next_at, ?2) + ?3
returning next_at - ?3 as slot`;

/** The time this caller may send at (now, or a later free slot). */
export async function claimSlot(db: Db, gate: string, now: number, intervalMs: number): Promise<number> {
	const row = await db.$client.prepare(CLAIM_SQL).bind(gate, now, intervalMs).first<{ slot: number }>();
	return row?.slot ?? now;
}

/** The provider said "not before `until`": no slot is handed out earlier. */
export async function holdUntil(db: Db, gate: string, until: number): Promise<void> {
	await db.$client
		.prepare(
			"insert into rate_gates (name, next_at) values (?1, ?2) on conflict (name) do update set next_at = max(next_at, ?2)",
		)
		.bind(gate, until)
		.run();
}
