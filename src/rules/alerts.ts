// Alerts to the operator, declared once: the states a problem's row takes and
// how often a problem that persists is said again.

export const ALERT_STATES = ["open", "resolved"] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** One message per problem per hour: the first at once, then a reminder each hour while it lasts. */
export const ALERT_REPEAT_MS = 3_600_000;

/** Slack's and Discord's JSON webhooks both read one of these; Discord refuses content over 2,000 characters. */
export const ALERT_MAX_CHARS = 1_900;
