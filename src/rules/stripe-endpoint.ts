// Where Stripe reaches this service, declared once: the webhook route mounts
// these paths, and the doctor checks that Stripe's registered endpoint points
// at one of them.

/** The documented path and its plural alias, both under /api. */
export const WEBHOOK_PATHS = ["/api/webhook/stripe", "/api/webhooks/stripe"] as const;

/** Stripe's own limit on an event payload is far below this; anything larger is not Stripe. */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;

/**
 * Metadata key tagging every Checkout Session with the deployment (its APP_URL)
 * that created it: the reconciler only provisions its own when staging and
 * production share one Stripe account.
 */
export const DEPLOYMENT_TAG = "onboarding_origin";
