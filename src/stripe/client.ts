// The Stripe API client for this isolate's config, or null when no key is set.
import type { Config } from "../config";
import { createStripeApi, type StripeApi } from "./api";

const clients = new WeakMap<Config, StripeApi>();

export function stripeFor(config: Config): StripeApi | null {
	if (!config.stripeKey) return null;
	let api = clients.get(config);
	if (!api) {
		api = createStripeApi(config.stripeKey, config.stripeApiBase);
		clients.set(config, api);
	}
	return api;
}
