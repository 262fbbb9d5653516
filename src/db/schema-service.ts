// The service's own bookkeeping tables (drizzle), apart from customer data
// (schema.ts): where the reconciler is in Stripe's list, the mail send gate, the
// per-login cap on link emails, and the alerts sent to the operator.
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { ALERT_STATES } from "../rules/alerts";

/** Small named values the service keeps between runs, such as the reconciler's place in Stripe's list. */
export const cursors = sqliteTable("cursors", {
	name: text("name").primaryKey(),
	value: text("value").notNull(),
	updatedAt: integer("updated_at").notNull(),
});

/** Send slots for a rate-limited provider: the next free slot's time, shared by every consumer. */
export const rateGates = sqliteTable("rate_gates", {
	name: text("name").primaryKey(),
	nextAt: integer("next_at").notNull(),
});

/**
 * Reset and set-password emails claimed per login, one row per request (its id
 * is the email's idempotency key, so a redelivery never claims twice): the
 * durable cap on how many a login gets an hour, wherever the requests come from.
 */
export const linkSends = sqliteTable(
	"link_sends",
	{
		requestId: text("request_id").primaryKey(),
		userId: text("user_id").notNull(),
		createdAt: integer("created_at").notNull(),
	},
	(t) => [index("link_sends_user_created_idx").on(t.userId, t.createdAt)],
);

/**
 * Alerts to the operator (ALERT_WEBHOOK_URL), one row per problem: what was
 * last sent and when, so the cron sends one message per problem per hour and
 * one "resolved" when it clears.
 */
export const alerts = sqliteTable(
	"alerts",
	{
		/** The problem: `job_failed:<job id>`, `config:<check>`, `webhook_deliveries`, `app_deliveries`. */
		key: text("key").primaryKey(),
		/** open: the problem was there at the last look; resolved: it cleared and was said to have. */
		state: text("state", { enum: ALERT_STATES }).notNull(),
		/** The problem in words, as last seen: the "resolved" message repeats it. */
		problem: text("problem").notNull(),
		openedAt: integer("opened_at").notNull(),
		lastSentAt: integer("last_sent_at").notNull(),
		/** The text of the last message sent for it. */
		lastMessage: text("last_message").notNull(),
		resolvedAt: integer("resolved_at"),
	},
	(t) => [index("alerts_state_idx").on(t.state), index("alerts_last_sent_idx").on(t.lastSentAt)],
);
