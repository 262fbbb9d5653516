// The one place a log line is shaped: one JSON object per line, `event` first,
// read by `wrangler tail` / Workers Logs and by `npm run tail`. Redacts by key
// and by value shape so a secret, token or password can never be printed.

export type LogEvent =
	| "WEBHOOK_RECEIVED"
	| "WEBHOOK_PROCESSED_OK"
	| "WEBHOOK_IGNORED"
	| "WEBHOOK_PROCESSING_FAILED"
	| "WEBHOOK_SIGNATURE_INVALID"
	| "WEBHOOK_REJECTED"
	| "CONFIG_ERROR"
	| "CHECKOUT_CREATED"
	| "CHECKOUT_FAILED"
	| "PAYMENT_CONFIRMED_BY_SYNC"
	| "STRIPE_SYNC_FAILED"
	| "PROVISIONING_ENQUEUED"
	| "PROVISIONING_ENQUEUE_FAILED"
	| "WORK_ENQUEUE_FAILED"
	| "SUBSCRIPTION_ADOPTING"
	| "SUBSCRIPTION_ADOPTED"
	| "SUBSCRIPTION_NOT_ADOPTED"
	| "CHARGE_UNPLACED"
	| "NOTICE_SENT"
	| "NOTICE_SKIPPED"
	| "NOTICE_DEFERRED"
	| "NOTICE_RETRY"
	| "NOTICE_FAILED"
	| "ADOPT_RETRY"
	| "APP_WEBHOOK_QUEUED"
	| "APP_WEBHOOK_DELIVERED"
	| "APP_WEBHOOK_RETRY"
	| "APP_WEBHOOK_FAILED"
	| "APP_SYNC_RETRY"
	| "APP_SYNC_FAILED"
	| "ADOPT_FAILED"
	| "PROVISIONING_STARTED"
	| "PROVISIONING_COMPLETED"
	| "PROVISIONING_RETRY"
	| "PROVISIONING_DEFERRED"
	| "PROVISIONING_SKIPPED"
	| "PROVISIONING_FAILED"
	| "LINK_REQUESTED"
	| "LINK_SENT"
	| "LINK_SKIPPED"
	| "LINK_CAPPED"
	| "MAIL_QUOTA_CLEARED"
	| "MAIL_KEY_CONFLICT"
	| "LINK_DEFERRED"
	| "LINK_RETRY"
	| "LINK_FAILED"
	| "WORK_MESSAGE_MALFORMED"
	| "OUTBOX_MESSAGE"
	| "RECONCILE_REQUEUED"
	| "RECONCILE_STRIPE_PROVISIONED"
	| "RECONCILE_DONE"
	| "RECONCILE_FAILED"
	| "ALERT_SENT"
	| "ALERT_FAILED"
	| "HOUSEKEEPING_DONE"
	| "PASSWORD_SET"
	| "LOGIN_FAILED"
	| "RATE_LIMITED"
	| "ADMIN_ACTION"
	| "ADMIN_AUTH_FAILED"
	| "ACCESS_AUTH_FAILED"
	| "REQUEST_REJECTED"
	| "REQUEST_FAILED";

export type LogFields = Record<string, string | number | boolean | null | undefined>;

const SENSITIVE_KEY = /secret|password|token|signature|cookie|authorization|api_key/i;
// Stripe keys and webhook secrets, whatever field they end up in.
const SENSITIVE_VALUE = /\b(sk|rk|pk)_(test|live)_[A-Za-z0-9]+|\bwhsec_[A-Za-z0-9+/=_-]+/g;

export function formatLogLine(event: LogEvent, fields: LogFields = {}): string {
	const out: Record<string, unknown> = { event };
	for (const [key, value] of Object.entries(fields)) {
		if (value === undefined) continue;
		if (SENSITIVE_KEY.test(key)) {
			out[key] = "[redacted]";
		} else if (typeof value === "string") {
			out[key] = value.replace(SENSITIVE_VALUE, "[redacted]");
		} else {
			out[key] = value;
		}
	}
	return JSON.stringify(out);
}

export function log(event: LogEvent, fields: LogFields = {}): void {
	console.log(formatLogLine(event, fields));
}

/**
 * An error's message, trimmed, for a log field; never its stack. drizzle wraps
 * driver errors as "Failed query: <sql> params: <values>": log the driver's
 * cause instead, so bound values (emails, hashes) stay out of the logs.
 */
export function errorMessage(error: unknown): string {
	let current = error;
	while (current instanceof Error && current.message.startsWith("Failed query:") && current.cause) {
		current = current.cause;
	}
	const message = current instanceof Error ? current.message : String(current);
	return message.slice(0, 500);
}
