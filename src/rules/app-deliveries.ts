// Deliveries to the operator's own app (Standard Webhooks): their states, the
// events, and the retry schedule. A receiver gets a first retry within a
// minute, then minutes, then hours, for more than a day, as Standard Webhooks
// senders do; then the delivery is failed and waits for "Send again".
// https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md

export const DELIVERY_STATES = ["pending", "delivered", "failed"] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export const APP_EVENT_TYPES = ["customer.onboarded", "access.changed"] as const;
export type AppEventType = (typeof APP_EVENT_TYPES)[number];

/** Seconds to wait after each failed attempt (attempt 1 failed → wait the first entry). */
export const RETRY_SCHEDULE_SECONDS = [30, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600] as const;

/** 2xx within this long is delivered; anything else, or silence, is a failed attempt. */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** At most this much of a receiver's answer is read, and less is kept. */
export const MAX_ANSWER_BYTES = 4 * 1024;

/** When to try again after `attempts` failed attempts; null: the schedule is spent, the delivery fails. */
export function nextAttemptDelaySeconds(attempts: number): number | null {
	return RETRY_SCHEDULE_SECONDS[attempts - 1] ?? null;
}

/** The schedule's whole span: the last attempt is this long after the first (more than a day). */
export const RETRY_WINDOW_SECONDS = RETRY_SCHEDULE_SECONDS.reduce((a, b) => a + b, 0);
