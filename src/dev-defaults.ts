// Values only the offline walkthrough uses (dev tools on: no Stripe key and a
// loopback APP_URL, src/config.ts), so a fresh clone runs with no set-up. A
// leaf module: the browser tests sign their events with the same secret.

/** Signs the dev checkout stand-in's events when no webhook secret is configured. */
export const DEV_WEBHOOK_SECRET = "whsec_local_development_only";

/** Set-password links are derived from this in local work, where no Stripe key is set (src/config.ts). */
export const DEV_LINK_SECRET = "onboarding-link-secret-for-local-work-only";

/** The operator console's token in the offline walkthrough, when ADMIN_TOKEN is not set. */
export const DEV_ADMIN_TOKEN = "dev-admin-token-for-local-work-only-0000";
