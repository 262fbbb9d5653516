// Set-password links: why one was sent and how long it works. A link works once;
// setting a password voids every other link of that login (src/db/accounts.ts).

export const LINK_PURPOSES = ["welcome", "setup", "reset", "support"] as const;

/**
 * welcome: the first email after payment. setup: "send the email again" from
 * the onboarding page. reset: "forgot password". support: sent by an operator.
 */
export type LinkPurpose = (typeof LINK_PURPOSES)[number];

const HOUR_MS = 3_600_000;

/** A reset link is short-lived (it is asked for from a login page anyone can reach). */
export const LINK_TTL_MS: Readonly<Record<LinkPurpose, number>> = {
	welcome: 72 * HOUR_MS,
	setup: 72 * HOUR_MS,
	reset: 1 * HOUR_MS,
	support: 24 * HOUR_MS,
};

/** "Send the email again" works at most this often per customer. */
export const SETUP_LINK_INTERVAL_MS = 60_000;

/**
 * Reset and set-password emails (setup, reset, support) a login gets per
 * window, however many addresses, locations or visitors ask: above it, a
 * request sends nothing, so nobody can flood an inbox through this service.
 */
export const LINK_EMAILS_PER_WINDOW = 3;
export const LINK_EMAIL_WINDOW_MS = HOUR_MS;
