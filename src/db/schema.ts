// D1 tables (drizzle). Uniqueness carries idempotency: one ledger row per
// Stripe event, one job and one portal user per client, one outbox message per
// idempotency key. Times are epoch milliseconds unless named `*_event_at`
// (Stripe's `created`, epoch seconds, used only for ordering).
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { JOB_STATES } from "../rules/job-states";

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
		/** Last time the status route asked Stripe for the session (rate limit). */
		stripeCheckedAt: integer("stripe_checked_at"),
		createdAt: integer("created_at").notNull(),
		updatedAt: integer("updated_at").notNull(),
	},
	(t) => [index("clients_subscription_idx").on(t.subscriptionId), index("clients_created_idx").on(t.createdAt)],
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
		createdAt: integer("created_at").notNull(),
		updatedAt: integer("updated_at").notNull(),
	},
	(t) => [index("jobs_state_updated_idx").on(t.state, t.updatedAt)],
);

export const users = sqliteTable("users", {
	id: text("id").primaryKey(),
	clientId: text("client_id")
		.notNull()
		.unique()
		.references(() => clients.id),
	email: text("email").notNull().unique(),
	passwordHash: text("password_hash"),
	passwordSalt: text("password_salt"),
	passwordIterations: integer("password_iterations"),
	passwordSetAt: integer("password_set_at"),
	createdAt: integer("created_at").notNull(),
});

export const passwordTokens = sqliteTable("password_tokens", {
	tokenHash: text("token_hash").primaryKey(),
	userId: text("user_id")
		.notNull()
		.references(() => users.id),
	expiresAt: integer("expires_at").notNull(),
	usedAt: integer("used_at"),
	createdAt: integer("created_at").notNull(),
});

export const sessions = sqliteTable("sessions", {
	idHash: text("id_hash").primaryKey(),
	userId: text("user_id")
		.notNull()
		.references(() => users.id),
	expiresAt: integer("expires_at").notNull(),
	createdAt: integer("created_at").notNull(),
});

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

export type ClientRow = typeof clients.$inferSelect;
export type JobRow = typeof jobs.$inferSelect;
export type UserRow = typeof users.$inferSelect;
