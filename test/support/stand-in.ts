// Steering and reading the Stripe and mail-provider stand-in from a workerd test.
import { env } from "cloudflare:workers";
import { standInClient } from "./stand-in/client.ts";
import type { StripeSeed } from "./stand-in/types.ts";

/** The stand-in's recorded requests whose content includes `contains`. */
export function standInRequests(contains: string) {
	return standInClient(env.STAND_IN_URL).requests(contains);
}

export function standInControl(path: string, body: Record<string, unknown>) {
	return standInClient(env.STAND_IN_URL).control(path, body);
}

/** Stripe objects (customers, subscriptions, invoices, invoice payments) in the account of API key `key`. */
export function seedStripe(key: string, seed: StripeSeed) {
	return standInClient(env.STAND_IN_URL).seedStripe(key, seed);
}
