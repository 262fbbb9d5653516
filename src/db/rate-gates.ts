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

// Only while the gate is idle (its next slot is due within `idleMs`): a
// lower-priority send never takes a slot ahead of a backlog.
const CLAIM_IF_IDLE_SQL = `update rate_gates set next_at = max(next_at, ?2) + ?3
where name = ?1 and next_at <= ?2 + ?4
returning next_at - ?3 as slot`;

/**
 * A slot for a send that must never delay the gate's other senders: a slot now
 * when the gate is idle, else null and the time its backlog clears.
 */
export async function claimSlotIfIdle(
	db: Db,
	gate: string,
	now: number,
	intervalMs: number,
	idleMs: number,
): Promise<{ slot: number } | { busyUntil: number }> {
	const row = await db.$client.prepare(CLAIM_IF_IDLE_SQL).bind(gate, now, intervalMs, idleMs).first<{ slot: number }>();
	if (row) return { slot: row.slot };
	const gateRow = await db.$client
		.prepare("select next_at from rate_gates where name = ?1")
		.bind(gate)
		.first<{ next_at: number }>();
	// No row yet: the gate was never used, so it is idle; claim the ordinary way.
	if (!gateRow) return { slot: await claimSlot(db, gate, now, intervalMs) };
	return { busyUntil: gateRow.next_at };
}
