// The Stripe API version this service speaks: the one the installed stripe
// package's types describe. A leaf module, so Node tools (the bench) can import it.
export const STRIPE_API_VERSION = "2026-10-28.endive";
