// The Stripe API client for this isolate's config, or null when it has no usable key.
import type { Config } from "../config";
import { createStripeApi, type StripeApi } from "./api";

const clients = new WeakMap<Config, StripeApi>();

export function stripeFor(config: Config): StripeApi | null {
	// No request with a live key to a base that is not https (a config problem the doctor names).
	if (!config.stripeKey || !config.stripeApiBaseUsable) return null;
	let api = clients.get(config);
	if (!api) {
		api = createStripeApi(config.stripeKey, config.stripeApiBase);
		clients.set(config, api);
	}
	return api;
}
