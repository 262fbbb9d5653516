// The webhook's hot path: ledger row, client state and provisioning job in one
// D1 batch (one transaction), as three written-out statements so no query is
// built per request. Idempotency is in the guards: every statement after the
// ledger insert runs only if that insert carried this delivery's nonce, so a
// duplicate delivery, even a concurrent one, changes nothing.
import { and, eq } from "drizzle-orm";
import { JOB, type JobState } from "../rules/job-states";
import { PAID_CHECKOUT, PENDING_SUBSCRIPTION, TERMINAL_SUBSCRIPTION } from "../rules/subscription-status";
import type { PaymentChange } from "../stripe/events";
import { type Db, sqlList } from "./database";
import { webhookEvents } from "./schema";

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

// A repeat delivery only counts itself; its nonce is not the stored one, so the
// guarded statements after it change nothing.
const LEDGER_INSERT_SQL = `insert into webhook_events (id, type, livemode, event_created, client_id, nonce, received_at)
values (?1, ?2, ?3, ?4, ?5, ?6, ?7)
on conflict (id) do update set deliveries = deliveries + 1
returning nonce`;

// Whether this event's subscription status (?8, as of ?9) replaces the stored
// one. Stripe does not order deliveries, and events of the same second are a
// tie, not an order. So: a terminal status is final (Stripe never leaves it,
// and so it also wins any tie); the first-payment status never replaces
// another (a subscription never goes back to it); otherwise the newer event
// wins, and of a tie the one that arrives last.
const SUBSCRIPTION_WINS = `(?8 is not null and (subscription_status is null or (
		subscription_status not in (${sqlList(TERMINAL_SUBSCRIPTION)})
		and ?8 <> '${PENDING_SUBSCRIPTION}'
		and subscription_event_at <= ?9)))`;

// Whether this event's invoice status (?10, as of ?11) replaces the stored
// one: the newer wins; of a tie, `paid` wins (a retry that succeeded in the
// same second as the failure), then the one that arrives last.
const INVOICE_WINS = `(?10 is not null and (invoice_event_at is null or invoice_event_at < ?11
		or (invoice_event_at = ?11 and (?10 = 'paid' or invoice_status is null or invoice_status <> 'paid'))))`;

// Every change to the client in one UPDATE; a null parameter means "this event
// says nothing about it". SQLite evaluates each right-hand side against the old
// row, so the guards see stored values: a completed session never goes back to
// open, paid never goes back to unpaid, and since Stripe does not order
// deliveries a subscription or invoice status older than the stored one is
// ignored. A failed renewal starts the grace clock once (the first failure of
// the period); a paid invoice stops it and clears what the customer was asked to do.
const CLIENT_UPDATE_SQL = `update clients set
	checkout_session_id = coalesce(checkout_session_id, ?2),
	stripe_customer_id = coalesce(?3, stripe_customer_id),
	subscription_id = coalesce(subscription_id, ?4),
	payment_intent_id = coalesce(payment_intent_id, ?15),
	checkout_status = case when ?5 is null or checkout_status = 'complete' then checkout_status else ?5 end,
	payment_status = case
		when ?7 is not null then case when payment_status in (${sqlList(PAID_CHECKOUT)}) then payment_status else ?7 end
		when ?6 is not null then case when payment_status = 'paid' then 'paid' else ?6 end
		else payment_status end,
	paid_at = case when ?7 is not null then coalesce(paid_at, ?1) else paid_at end,
	subscription_status = case when ${SUBSCRIPTION_WINS} then ?8 else subscription_status end,
	subscription_event_at = case when ${SUBSCRIPTION_WINS} then ?9 else subscription_event_at end,
	plan_code = case when ?16 is not null and ${SUBSCRIPTION_WINS} then ?16 else plan_code end,
	current_period_end = case when ?17 is not null and ${SUBSCRIPTION_WINS} then ?17 else current_period_end end,
	past_due_since = case
		when ${INVOICE_WINS} and ?10 = 'paid' then null
		when ${INVOICE_WINS} and ?10 = 'payment_failed' and ?19 = 1 then coalesce(past_due_since, ?11 * 1000)
		when ${SUBSCRIPTION_WINS} and ?8 = 'past_due' then coalesce(past_due_since, ?9 * 1000)
		else past_due_since end,
	action_required_at = case
		when ${INVOICE_WINS} and ?10 = 'paid' then null
		when ${INVOICE_WINS} and ?10 = 'action_required' and ?19 = 1 then coalesce(action_required_at, ?11 * 1000)
		else action_required_at end,
	open_invoice_url = case
		when ${INVOICE_WINS} and ?10 = 'paid' then null
		when ${INVOICE_WINS} and ?10 in ('payment_failed', 'action_required') and ?19 = 1 then ?18
		else open_invoice_url end,
	invoice_status = case when ${INVOICE_WINS} then ?10 else invoice_status end,
	invoice_event_at = case when ${INVOICE_WINS} then ?11 else invoice_event_at end,
	refunded_at = case when ?20 = 1 then coalesce(refunded_at, ?1) else refunded_at end,
	access_dirty_at = case when ?21 = 1 then ?1 else access_dirty_at end,
	updated_at = ?1
where id = ?12 and exists (select 1 from webhook_events where id = ?13 and nonce = ?14)
returning id`;

// A dispute's status; `won` and `lost` are final, so a `closed` delivered
// before its `created` stays closed. Then the client's worst dispute state.
const DISPUTE_UPSERT_SQL = `insert into disputes (id, client_id, status, created_at, updated_at)
select ?1, ?2, ?3, ?4, ?4 where exists (select 1 from webhook_events where id = ?5 and nonce = ?6)
	and exists (select 1 from clients where id = ?2)
on conflict (id) do update set
	status = case when disputes.status in ('won', 'lost') then disputes.status else excluded.status end,
	updated_at = excluded.updated_at`;

const DISPUTE_STATE_SQL = `update clients set dispute_state = (
	select case when sum(status = 'lost') > 0 then 'lost' when sum(status = 'open') > 0 then 'open' end
	from disputes where client_id = ?1)
where id = ?1 and exists (select 1 from webhook_events where id = ?2 and nonce = ?3)`;

// One job per client (unique index), created only if the client exists and
// this delivery won the ledger. The no-op upsert returns the existing job otherwise.
const JOB_UPSERT_SQL = `insert into jobs (id, client_id, state, attempts, checkout_session_id, source, requeues, queued_at, created_at, updated_at)
select ?1, id, '${JOB.confirmed}', 0, ?2, ?3, 0, ?4, ?4, ?4 from clients
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
	/** The plan the subscription's price names, when that price is in PLANS. */
	planCode: string | null = null,
	/** Leave the outbox marker for the operator's app (its webhooks are configured). */
	markForApp = false,
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
				change.paymentIntentId ?? null,
				planCode,
				change.subscription?.periodEnd ?? null,
				change.invoice?.url ?? null,
				change.invoice?.renewal ? 1 : 0,
				change.charge?.fullyRefunded ? 1 : null,
				markForApp ? 1 : 0,
			),
	];
	const dispute = change.charge?.dispute;
	if (dispute) {
		statements.push(
			d1.prepare(DISPUTE_UPSERT_SQL).bind(dispute.id, clientId, dispute.state, now, ledger.eventId, ledger.nonce),
			d1.prepare(DISPUTE_STATE_SQL).bind(clientId, ledger.eventId, ledger.nonce),
		);
	}
	const jobAt = statements.length;
	if (change.confirmsPayment) {
		statements.push(
			d1
				.prepare(JOB_UPSERT_SQL)
				.bind(newJob.id, change.checkoutSessionId ?? null, newJob.source, now, clientId, ledger.eventId, ledger.nonce),
		);
	}
	const results = await d1.batch<{ id: string; state?: JobState; nonce?: string }>(statements);
	const [ledgerRows, clientRows] = results;
	const job = change.confirmsPayment ? results[jobAt]?.results[0] : undefined;
	return {
		applied: ledgerRows?.results[0]?.nonce === ledger.nonce,
		clientFound: clientRows?.results.length === 1,
		job: job?.state ? { id: job.id, state: job.state, created: job.id === newJob.id } : undefined,
	};
}

/** Records an event that changes no client (ignored type, unknown client); false for a repeat delivery. */
export async function recordLedgerOnly(db: Db, ledger: LedgerEntry, clientId: string | null, now: number) {
	const row = await db.$client
		.prepare(LEDGER_INSERT_SQL)
		.bind(ledger.eventId, ledger.type, ledger.livemode ? 1 : 0, ledger.eventCreated, clientId, ledger.nonce, now)
		.first<{ nonce: string }>();
	return row?.nonce === ledger.nonce;
}

/** Undoes a ledger entry so Stripe's retry runs the event again (used when the enqueue failed). */
export async function forgetLedgerEntry(db: Db, eventId: string, nonce: string) {
	await db.delete(webhookEvents).where(and(eq(webhookEvents.id, eventId), eq(webhookEvents.nonce, nonce)));
}
