// D1 tables (drizzle). Uniqueness carries idempotency: one ledger row per
// Stripe event, one job and one portal user per client, one outbox message per
// idempotency key. Times are epoch milliseconds unless named `*_event_at`
// (Stripe's `created`, epoch seconds, used only for ordering).
import { type AnySQLiteColumn, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { DISPUTE_STATES, PLAN_MODES } from "../rules/access";
import { DELIVERY_STATES } from "../rules/app-deliveries";
import { JOB_STATES } from "../rules/job-states";
import { LINK_PURPOSES } from "../rules/links";

export const clients = sqliteTable(
	"clients",
	{
		id: text("id").primaryKey(),
		crn: text("crn").notNull().unique(),
		email: text("email").notNull(),
		name: text("name").notNull(),
		planCode: text("plan_code").notNull(),
		onboardingTokenHash: text("onboarding_token_hash").notNull().unique(),
		checkoutSessionId: text("checkout_session_id").unique(),
		/** open | complete | expired, as Stripe reports the Checkout Session. */
		checkoutStatus: text("checkout_status").notNull().default("open"),
		/** unpaid | paid | no_payment_required | failed */
		paymentStatus: text("payment_status").notNull().default("unpaid"),
		paidAt: integer("paid_at"),
		/** First time the customer's browser asked for the status after Checkout. */
		returnedAt: integer("returned_at"),
		/** Last time Stripe said the session is still open: the customer did not finish Checkout. */
		checkoutOpenAt: integer("checkout_open_at"),
		stripeCustomerId: text("stripe_customer_id"),
		subscriptionId: text("subscription_id"),
		subscriptionStatus: text("subscription_status"),
		subscriptionEventAt: integer("subscription_event_at"),
		invoiceStatus: text("invoice_status"),
		invoiceEventAt: integer("invoice_event_at"),
		/** subscription | payment (a one-time purchase), as the plan was bought. */
		mode: text("mode", { enum: PLAN_MODES }).notNull().default("subscription"),
		/** A one-time purchase's payment: refunds and disputes name it. */
		paymentIntentId: text("payment_intent_id"),
		/** When the paid period (or the trial) ends, epoch ms; from the newest subscription event. */
		currentPeriodEnd: integer("current_period_end"),
		/** The first failed renewal of this period (the grace clock); cleared by a paid invoice. */
		pastDueSince: integer("past_due_since"),
		/** Stripe's page for the invoice waiting to be paid or confirmed. */
		openInvoiceUrl: text("open_invoice_url"),
		/** A renewal needs the customer to confirm it (3-D Secure) since then; cleared by a paid invoice. */
		actionRequiredAt: integer("action_required_at"),
		/** A payment of this plan was refunded in full. */
		refundedAt: integer("refunded_at"),
		/** The worst of its disputes (lost, else open), kept with each dispute change; null: none open or lost. */
		disputeState: text("dispute_state", { enum: DISPUTE_STATES }),
		/**
		 * Set in the same batch as a change that may move the plan's access (an
		 * outbox marker): until cleared, the operator's app has not been told.
		 */
		accessDirtyAt: integer("access_dirty_at"),
		/** What the operator's app was last told of this plan (access.changed compares against it). */
		announcedAccess: text("announced_access"),
		announcedReason: text("announced_reason"),
		announcedPlanCode: text("announced_plan_code"),
		/** Last time the status route asked Stripe for the session (rate limit). */
		stripeCheckedAt: integer("stripe_checked_at"),
		/** The login this plan belongs to, set when it is provisioned. One login per email, many plans. */
		userId: text("user_id").references((): AnySQLiteColumn => users.id),
		/**
		 * When this plan joined a login that already had a password (someone else
		 * may have bought it with the owner's email): the owner is told, the
		 * dashboard marks it, and its email stays "plan active" on every attempt.
		 */
		addedToLoginAt: integer("added_to_login_at"),
		createdAt: integer("created_at").notNull(),
		updatedAt: integer("updated_at").notNull(),
	},
	(t) => [
		index("clients_access_dirty_idx").on(t.accessDirtyAt),
		// One plan per subscription: a subscription made outside Checkout is adopted once.
		uniqueIndex("clients_subscription_idx").on(t.subscriptionId),
		index("clients_payment_intent_idx").on(t.paymentIntentId),
		index("clients_created_idx").on(t.createdAt),
		index("clients_user_idx").on(t.userId),
		index("clients_email_idx").on(t.email),
		index("clients_paid_idx").on(t.paidAt),
	],
);

export const jobs = sqliteTable(
	"jobs",
	{
		id: text("id").primaryKey(),
		clientId: text("client_id")
			.notNull()
			.unique()
			.references(() => clients.id),
		state: text("state", { enum: JOB_STATES }).notNull(),
		attempts: integer("attempts").notNull().default(0),
		lastError: text("last_error"),
		checkoutSessionId: text("checkout_session_id"),
		/** What confirmed the payment: webhook | sync | reconcile */
		source: text("source").notNull(),
		requeues: integer("requeues").notNull().default(0),
		/** A consumer holds the job until then; no other delivery runs it meanwhile. */
		leaseUntil: integer("lease_until"),
		/** Deferred (the mail provider said 429) until then; the reconciler leaves it alone. */
		notBefore: integer("not_before"),
		/** When this run began (creation or an operator retry): the reconciler gives up by age from here. */
		queuedAt: integer("queued_at").notNull().default(0),
		/**
		 * Which run of the job this is: an operator's retry starts the next one. The
		 * welcome email's idempotency key and its link are derived from it, so every
		 * attempt of one run sends the same bytes and a new run sends new ones.
		 */
		generation: integer("generation").notNull().default(0),
		completedAt: integer("completed_at"),
		createdAt: integer("created_at").notNull(),
		updatedAt: integer("updated_at").notNull(),
	},
	(t) => [
		index("jobs_state_updated_idx").on(t.state, t.updatedAt),
		index("jobs_created_idx").on(t.createdAt),
		index("jobs_completed_idx").on(t.completedAt),
	],
);

export const users = sqliteTable("users", {
	id: text("id").primaryKey(),
	/** The client whose purchase created this login; every plan points back through clients.user_id. */
	clientId: text("client_id")
		.notNull()
		.references((): AnySQLiteColumn => clients.id),
	email: text("email").notNull().unique(),
	passwordHash: text("password_hash"),
	passwordSalt: text("password_salt"),
	passwordIterations: integer("password_iterations"),
	passwordSetAt: integer("password_set_at"),
	/** Last "send the email again": at most one a minute. */
	linkRequestedAt: integer("link_requested_at"),
	/** The Stripe customer of the login's first purchase: later checkouts and the Billing Portal use it. */
	stripeCustomerId: text("stripe_customer_id"),
	createdAt: integer("created_at").notNull(),
});

export const passwordTokens = sqliteTable(
	"password_tokens",
	{
		tokenHash: text("token_hash").primaryKey(),
		userId: text("user_id")
			.notNull()
			.references(() => users.id),
		purpose: text("purpose", { enum: LINK_PURPOSES }).notNull().default("welcome"),
		expiresAt: integer("expires_at").notNull(),
		/** Used, or voided by another link setting the password (or, for a reset link, by a newer one). */
		usedAt: integer("used_at"),
		/** When the mail provider took its email; null while it waits (deferred) or after it failed. */
		sentAt: integer("sent_at"),
		createdAt: integer("created_at").notNull(),
	},
	(t) => [index("password_tokens_user_idx").on(t.userId), index("password_tokens_expires_idx").on(t.expiresAt)],
);

export const sessions = sqliteTable(
	"sessions",
	{
		idHash: text("id_hash").primaryKey(),
		userId: text("user_id")
			.notNull()
			.references(() => users.id),
		expiresAt: integer("expires_at").notNull(),
		createdAt: integer("created_at").notNull(),
	},
	(t) => [index("sessions_user_idx").on(t.userId), index("sessions_expires_idx").on(t.expiresAt)],
);

export const webhookEvents = sqliteTable(
	"webhook_events",
	{
		id: text("id").primaryKey(),
		type: text("type").notNull(),
		livemode: integer("livemode", { mode: "boolean" }).notNull(),
		eventCreated: integer("event_created").notNull(),
		clientId: text("client_id"),
		/** Per-request nonce: later statements of the same batch run only if this insert won. */
		nonce: text("nonce").notNull(),
		receivedAt: integer("received_at").notNull(),
		/** How many times Stripe delivered it; every delivery after the first changed nothing. */
		deliveries: integer("deliveries").notNull().default(1),
	},
	(t) => [index("webhook_events_client_idx").on(t.clientId), index("webhook_events_received_idx").on(t.receivedAt)],
);

export const outbox = sqliteTable("outbox", {
	id: text("id").primaryKey(),
	idempotencyKey: text("idempotency_key").notNull().unique(),
	toAddress: text("to_address").notNull(),
	subject: text("subject").notNull(),
	textBody: text("text_body").notNull(),
	createdAt: integer("created_at").notNull(),
});

/**
 * Chargebacks, one row per Stripe dispute. `won` and `lost` are final, so a
 * `closed` that arrives before its `created` is never reopened.
 */
export const disputes = sqliteTable(
	"disputes",
	{
		id: text("id").primaryKey(),
		clientId: text("client_id")
			.notNull()
			.references(() => clients.id),
		/** open (needs_response, under_review, warning_*) | won | lost */
		status: text("status", { enum: DISPUTE_STATES }).notNull(),
		createdAt: integer("created_at").notNull(),
		updatedAt: integer("updated_at").notNull(),
	},
	(t) => [index("disputes_client_idx").on(t.clientId)],
);

/**
 * Messages to the operator's own app (Standard Webhooks), one row each: the
 * `webhook-id` is the row id, the same on every attempt.
 */
export const appDeliveries = sqliteTable(
	"app_deliveries",
	{
		id: text("id").primaryKey(),
		/** customer.onboarded | access.changed */
		type: text("type").notNull(),
		clientId: text("client_id").notNull(),
		crn: text("crn").notNull(),
		/** The exact JSON body sent (signed as is on every attempt). */
		payload: text("payload").notNull(),
		/** pending (waiting for its next attempt) | delivered | failed */
		status: text("status", { enum: DELIVERY_STATES }).notNull().default("pending"),
		attempts: integer("attempts").notNull().default(0),
		/** The receiver's last HTTP status; null when it never answered. */
		lastStatus: integer("last_status"),
		/** A short account of the last failure: never the receiver's whole answer. */
		lastError: text("last_error"),
		nextAttemptAt: integer("next_attempt_at"),
		deliveredAt: integer("delivered_at"),
		createdAt: integer("created_at").notNull(),
		updatedAt: integer("updated_at").notNull(),
	},
	(t) => [
		index("app_deliveries_status_next_idx").on(t.status, t.nextAttemptAt),
		index("app_deliveries_created_idx").on(t.createdAt),
	],
);

export type ClientRow = typeof clients.$inferSelect;
export type JobRow = typeof jobs.$inferSelect;
export type UserRow = typeof users.$inferSelect;
