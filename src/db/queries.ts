// Named queries: the only module that speaks SQL. Each function is one round
// trip (a statement or one `DB.batch`, which D1 runs as a transaction). drizzle
// builds most of them; the two hot paths (the webhook's payment batch, the
// status read) are written out, so no query is built per request.
import { and, desc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import type { PaymentChange } from "../stripe/events";
import * as schema from "./schema";
import { clients, jobs, outbox, passwordTokens, sessions, users, webhookEvents } from "./schema";

export type Db = DrizzleD1Database<typeof schema> & { $client: D1Database };

const dbs = new WeakMap<D1Database, Db>();
export function database(d1: D1Database): Db {
	let db = dbs.get(d1);
	if (!db) {
		db = drizzle(d1, { schema });
		dbs.set(d1, db);
	}
	return db;
}

export type JobState = "PAYMENT_CONFIRMED" | "PROVISIONING_STARTED" | "WELCOME_EMAIL_SENT" | "FAILED";

// ---- clients -------------------------------------------------------------

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

export interface StatusRow {
	clientId: string;
	crn: string;
	checkoutSessionId: string | null;
	checkoutStatus: string;
	paymentStatus: string;
	subscriptionStatus: string | null;
	returnedAt: number | null;
	checkoutOpenAt: number | null;
	stripeCheckedAt: number | null;
	clientUpdatedAt: number;
	jobState: string | null;
	jobUpdatedAt: number | null;
	passwordSetAt: number | null;
}

// Written out rather than built: every open onboarding page polls this each
// second, and drizzle's query building and row mapping measurably add to it.
const STATUS_SQL = `select c.id as clientId, c.crn, c.checkout_session_id as checkoutSessionId,
	c.checkout_status as checkoutStatus, c.payment_status as paymentStatus,
	c.subscription_status as subscriptionStatus, c.returned_at as returnedAt, c.checkout_open_at as checkoutOpenAt,
	c.stripe_checked_at as stripeCheckedAt, c.updated_at as clientUpdatedAt,
	j.state as jobState, j.updated_at as jobUpdatedAt, u.password_set_at as passwordSetAt
from clients c
left join jobs j on j.client_id = c.id
left join users u on u.client_id = c.id
where c.onboarding_token_hash = ?`;

/** The whole onboarding read model in one statement. */
export async function statusRowByTokenHash(db: Db, tokenHash: string): Promise<StatusRow | undefined> {
	return (await db.$client.prepare(STATUS_SQL).bind(tokenHash).first<StatusRow>()) ?? undefined;
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

// ---- the payment batch: ledger + client state + job, one transaction ------

export interface LedgerEntry {
	eventId: string;
	type: string;
	livemode: boolean;
	eventCreated: number;
	nonce: string;
}

export interface PaymentBatchResult {
	/** False when this event id was already in the ledger: nothing changed. */
	applied: boolean;
	clientFound: boolean;
	job?: { id: string; state: JobState; created: boolean };
}

// The webhook's hot path, written out once: three fixed statements in one
// batch (one transaction), no query building per request. Each statement after
// the ledger insert runs only if the ledger row carries this delivery's nonce,
// so a duplicate delivery (even a concurrent one) changes nothing.
const LEDGER_INSERT_SQL = `insert into webhook_events (id, type, livemode, event_created, client_id, nonce, received_at)
values (?1, ?2, ?3, ?4, ?5, ?6, ?7)
on conflict (id) do nothing
returning id`;

// Every change to the client in one UPDATE; a null parameter means "this event
// says nothing about it". SQLite evaluates each right-hand side against the old
// row, so the guards see stored values: a completed session never goes back to
// open, paid never goes back to unpaid, and since Stripe does not order
// deliveries a subscription or invoice status older than the stored one is ignored.
const CLIENT_UPDATE_SQL = `update clients set
	checkout_session_id = coalesce(checkout_session_id, ?2),
	stripe_customer_id = coalesce(?3, stripe_customer_id),
	subscription_id = coalesce(subscription_id, ?4),
	checkout_status = case when ?5 is null or checkout_status = 'complete' then checkout_status else ?5 end,
	payment_status = case
		when ?7 is not null then case when payment_status in ('paid', 'no_payment_required') then payment_status else ?7 end
		when ?6 is not null then case when payment_status = 'paid' then 'paid' else ?6 end
		else payment_status end,
	paid_at = case when ?7 is not null then coalesce(paid_at, ?1) else paid_at end,
	subscription_status = case when ?8 is not null and (subscription_event_at is null or subscription_event_at <= ?9)
		then ?8 else subscription_status end,
	subscription_event_at = case when ?8 is not null and (subscription_event_at is null or subscription_event_at <= ?9)
		then ?9 else subscription_event_at end,
	invoice_status = case when ?10 is not null and (invoice_event_at is null or invoice_event_at <= ?11)
		then ?10 else invoice_status end,
	invoice_event_at = case when ?10 is not null and (invoice_event_at is null or invoice_event_at <= ?11)
		then ?11 else invoice_event_at end,
	updated_at = ?1
where id = ?12 and exists (select 1 from webhook_events where id = ?13 and nonce = ?14)
returning id`;

// One job per client (unique index), created only if the client exists and
// this delivery won the ledger. The no-op upsert returns the existing job otherwise.
const JOB_UPSERT_SQL = `insert into jobs (id, client_id, state, attempts, checkout_session_id, source, requeues, created_at, updated_at)
select ?1, id, 'PAYMENT_CONFIRMED', 0, ?2, ?3, 0, ?4, ?4 from clients
where id = ?5 and exists (select 1 from webhook_events where id = ?6 and nonce = ?7)
on conflict (client_id) do update set client_id = excluded.client_id
returning id, state`;

/** Records the event and applies what it says, atomically, in one D1 batch. */
export async function applyPaymentBatch(
	db: Db,
	ledger: LedgerEntry,
	clientId: string,
	change: PaymentChange,
	newJob: { id: string; source: string },
	now: number,
): Promise<PaymentBatchResult> {
	const d1 = db.$client;
	const settled = change.confirmsPayment
		? change.checkout?.paymentStatus === "no_payment_required"
			? "no_payment_required"
			: "paid"
		: null;
	// RETURNING answers everything in the same round trip: did this delivery win
	// the ledger, does the client exist, which job does the client have.
	const statements = [
		d1
			.prepare(LEDGER_INSERT_SQL)
			.bind(ledger.eventId, ledger.type, ledger.livemode ? 1 : 0, ledger.eventCreated, clientId, ledger.nonce, now),
		d1
			.prepare(CLIENT_UPDATE_SQL)
			.bind(
				now,
				change.checkoutSessionId ?? null,
				change.customerId ?? null,
				change.subscriptionId ?? null,
				change.checkout?.status ?? null,
				change.checkout?.paymentStatus ?? null,
				settled,
				change.subscription?.status ?? null,
				change.subscription?.eventAt ?? null,
				change.invoice?.status ?? null,
				change.invoice?.eventAt ?? null,
				clientId,
				ledger.eventId,
				ledger.nonce,
			),
	];
	if (change.confirmsPayment) {
		statements.push(
			d1
				.prepare(JOB_UPSERT_SQL)
				.bind(newJob.id, change.checkoutSessionId ?? null, newJob.source, now, clientId, ledger.eventId, ledger.nonce),
		);
	}
	const [ledgerRows, clientRows, jobRows] = await d1.batch<{ id: string; state?: string }>(statements);
	const job = jobRows?.results[0];
	return {
		applied: ledgerRows?.results.length === 1,
		clientFound: clientRows?.results.length === 1,
		job: job ? { id: job.id, state: job.state as JobState, created: job.id === newJob.id } : undefined,
	};
}

/** Records an event that changes no client (ignored type, unknown client). */
export async function recordLedgerOnly(db: Db, ledger: LedgerEntry, clientId: string | null, now: number) {
	const row = await db
		.insert(webhookEvents)
		.values({
			id: ledger.eventId,
			type: ledger.type,
			livemode: ledger.livemode,
			eventCreated: ledger.eventCreated,
			clientId,
			nonce: ledger.nonce,
			receivedAt: now,
		})
		.onConflictDoNothing()
		.returning({ id: webhookEvents.id })
		.get();
	return row !== undefined;
}

/** Undoes a ledger entry so Stripe's retry runs the event again (used when the enqueue failed). */
export async function forgetLedgerEntry(db: Db, eventId: string, nonce: string) {
	await db.delete(webhookEvents).where(and(eq(webhookEvents.id, eventId), eq(webhookEvents.nonce, nonce)));
}

export function ledgerForClient(db: Db, clientId: string, limit = 50) {
	return db
		.select({
			id: webhookEvents.id,
			type: webhookEvents.type,
			eventCreated: webhookEvents.eventCreated,
			receivedAt: webhookEvents.receivedAt,
		})
		.from(webhookEvents)
		.where(eq(webhookEvents.clientId, clientId))
		.orderBy(desc(webhookEvents.receivedAt))
		.limit(limit)
		.all();
}

export async function lastWebhookReceivedAt(db: Db): Promise<number | null> {
	const row = await db
		.select({ at: sql<number | null>`max(${webhookEvents.receivedAt})` })
		.from(webhookEvents)
		.where(sql`${webhookEvents.id} like 'evt_%'`)
		.get();
	return row?.at ?? null;
}

/** Jobs created in the window by asking Stripe rather than by a webhook. */
export async function recentSyncConfirmations(db: Db, since: number): Promise<number> {
	const row = await db
		.select({ n: sql<number>`count(*)` })
		.from(jobs)
		.where(and(inArray(jobs.source, ["sync", "reconcile"]), sql`${jobs.createdAt} >= ${since}`))
		.get();
	return row?.n ?? 0;
}

// ---- jobs ----------------------------------------------------------------

export function findJobByClient(db: Db, clientId: string) {
	return db.select().from(jobs).where(eq(jobs.clientId, clientId)).get();
}

/** Moves a job into PROVISIONING_STARTED unless it is already done or failed. */
export function startJob(db: Db, jobId: string, now: number) {
	return db
		.update(jobs)
		.set({ state: "PROVISIONING_STARTED", attempts: sql`${jobs.attempts} + 1`, updatedAt: now })
		.where(and(eq(jobs.id, jobId), inArray(jobs.state, ["PAYMENT_CONFIRMED", "PROVISIONING_STARTED"])))
		.returning()
		.get();
}

export async function completeJob(db: Db, jobId: string, now: number) {
	await db.update(jobs).set({ state: "WELCOME_EMAIL_SENT", lastError: null, updatedAt: now }).where(eq(jobs.id, jobId));
}

export async function recordJobError(db: Db, jobId: string, error: string, now: number) {
	await db.update(jobs).set({ lastError: error, updatedAt: now }).where(eq(jobs.id, jobId));
}

/**
 * FAILED is final until an operator retries; a completed job is never failed.
 * With no error given, the last recorded one is kept (dead-letter path).
 */
export async function failJob(db: Db, jobId: string, error: string | null, now: number) {
	return db
		.update(jobs)
		.set({
			state: "FAILED",
			lastError: sql`coalesce(${error}, ${jobs.lastError}, 'retries exhausted')`,
			updatedAt: now,
		})
		.where(and(eq(jobs.id, jobId), sql`${jobs.state} <> 'WELCOME_EMAIL_SENT'`))
		.returning({ id: jobs.id, clientId: jobs.clientId, lastError: jobs.lastError })
		.get();
}

/** Operator retry: a failed (or stuck) job goes back to the start with fresh attempts. */
export function resetJob(db: Db, jobId: string, now: number) {
	return db
		.update(jobs)
		.set({ state: "PAYMENT_CONFIRMED", attempts: 0, updatedAt: now })
		.where(and(eq(jobs.id, jobId), sql`${jobs.state} <> 'WELCOME_EMAIL_SENT'`))
		.returning()
		.get();
}

export function stuckJobs(db: Db, olderThan: number, limit: number) {
	return db
		.select({
			id: jobs.id,
			clientId: jobs.clientId,
			state: jobs.state,
			requeues: jobs.requeues,
			lastError: jobs.lastError,
			updatedAt: jobs.updatedAt,
		})
		.from(jobs)
		.where(and(inArray(jobs.state, ["PAYMENT_CONFIRMED", "PROVISIONING_STARTED"]), lt(jobs.updatedAt, olderThan)))
		.orderBy(jobs.updatedAt)
		.limit(limit)
		.all();
}

export async function markRequeued(db: Db, jobIds: string[], now: number) {
	if (jobIds.length === 0) return;
	await db
		.update(jobs)
		.set({ requeues: sql`${jobs.requeues} + 1`, updatedAt: now })
		.where(inArray(jobs.id, jobIds));
}

export function listJobs(db: Db, state: string | undefined, limit: number) {
	return db
		.select({
			id: jobs.id,
			clientId: jobs.clientId,
			crn: clients.crn,
			state: jobs.state,
			attempts: jobs.attempts,
			requeues: jobs.requeues,
			lastError: jobs.lastError,
			source: jobs.source,
			createdAt: jobs.createdAt,
			updatedAt: jobs.updatedAt,
		})
		.from(jobs)
		.innerJoin(clients, eq(clients.id, jobs.clientId))
		.where(state ? eq(jobs.state, state) : undefined)
		.orderBy(desc(jobs.updatedAt))
		.limit(limit)
		.all();
}

/** Of these Checkout Session ids, the ones whose client already has a job. */
export async function sessionsWithJobs(db: Db, sessionIds: string[]): Promise<Set<string>> {
	if (sessionIds.length === 0) return new Set();
	const rows = await db
		.select({ sessionId: clients.checkoutSessionId })
		.from(clients)
		.innerJoin(jobs, eq(jobs.clientId, clients.id))
		.where(inArray(clients.checkoutSessionId, sessionIds))
		.all();
	return new Set(rows.map((r) => r.sessionId).filter((id): id is string => id !== null));
}

// ---- users, tokens, sessions --------------------------------------------

/** One portal user per client; a second attempt finds the first. */
export async function ensureUser(db: Db, user: { id: string; clientId: string; email: string }, now: number) {
	const [, found] = await db.batch([
		db
			.insert(users)
			.values({ ...user, createdAt: now })
			.onConflictDoNothing({ target: users.clientId }),
		db.select().from(users).where(eq(users.clientId, user.clientId)),
	]);
	return found[0];
}

export function findUserByEmail(db: Db, email: string) {
	return db.select().from(users).where(eq(users.email, email)).get();
}

export function findUserByClient(db: Db, clientId: string) {
	return db.select().from(users).where(eq(users.clientId, clientId)).get();
}

export async function insertPasswordToken(db: Db, tokenHash: string, userId: string, expiresAt: number, now: number) {
	await db.insert(passwordTokens).values({ tokenHash, userId, expiresAt, createdAt: now });
}

export function findPasswordToken(db: Db, tokenHash: string) {
	return db
		.select({
			tokenHash: passwordTokens.tokenHash,
			userId: passwordTokens.userId,
			expiresAt: passwordTokens.expiresAt,
			usedAt: passwordTokens.usedAt,
			email: users.email,
			passwordSetAt: users.passwordSetAt,
		})
		.from(passwordTokens)
		.innerJoin(users, eq(users.id, passwordTokens.userId))
		.where(eq(passwordTokens.tokenHash, tokenHash))
		.get();
}

/**
 * Sets the password and burns the token in one transaction; the guards make a
 * concurrent second use lose (the password is set only once).
 */
export async function setPasswordOnce(
	db: Db,
	tokenHash: string,
	userId: string,
	password: { hash: string; salt: string; iterations: number },
	now: number,
): Promise<boolean> {
	const [burn] = await db.batch([
		db
			.update(passwordTokens)
			.set({ usedAt: now })
			.where(and(eq(passwordTokens.tokenHash, tokenHash), isNull(passwordTokens.usedAt)))
			.returning({ tokenHash: passwordTokens.tokenHash }),
		db
			.update(users)
			.set({
				passwordHash: password.hash,
				passwordSalt: password.salt,
				passwordIterations: password.iterations,
				passwordSetAt: now,
			})
			.where(
				and(
					eq(users.id, userId),
					isNull(users.passwordSetAt),
					sql`exists (select 1 from ${passwordTokens} where ${passwordTokens.tokenHash} = ${tokenHash} and ${passwordTokens.usedAt} = ${now})`,
				),
			),
	]);
	return burn.length === 1;
}

export async function insertSession(db: Db, idHash: string, userId: string, expiresAt: number, now: number) {
	await db.insert(sessions).values({ idHash, userId, expiresAt, createdAt: now });
}

export function findSessionUser(db: Db, idHash: string, now: number) {
	return db
		.select({
			userId: users.id,
			email: users.email,
			name: clients.name,
			crn: clients.crn,
			planCode: clients.planCode,
			subscriptionStatus: clients.subscriptionStatus,
			paymentStatus: clients.paymentStatus,
			checkoutStatus: clients.checkoutStatus,
			stripeCustomerId: clients.stripeCustomerId,
		})
		.from(sessions)
		.innerJoin(users, eq(users.id, sessions.userId))
		.innerJoin(clients, eq(clients.id, users.clientId))
		.where(and(eq(sessions.idHash, idHash), sql`${sessions.expiresAt} > ${now}`))
		.get();
}

export async function deleteSession(db: Db, idHash: string) {
	await db.delete(sessions).where(eq(sessions.idHash, idHash));
}

// ---- outbox --------------------------------------------------------------

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
