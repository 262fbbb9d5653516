// Plans named by a price's lookup_key (PLANS {"starter": {"lookup_key": …}})
// learn their price id from Stripe once per isolate, so one PLANS value serves
// test and live mode. A failure is a configuration problem: logged as
// CONFIG_ERROR, listed by the health routes, and asked again on the next use.
import type { Config } from "../config";
import { errorMessage, log } from "../log";
import type { StripeApi } from "./api";

export type PriceResolution = { ok: true } | { ok: false; hint: string };

/** Stripe takes at most 10 lookup keys per list request. */
const KEYS_PER_REQUEST = 10;
const PROBLEM = "plans";

// One lookup in flight per isolate's config; a failed one is forgotten so the next use asks again.
const inFlight = new WeakMap<Config, Promise<PriceResolution>>();
/** The problem this module listed last, so a later success (or another failure) replaces it. */
const lastHint = new WeakMap<Config, string>();

function unresolved(config: Config) {
	return [...config.plans.values()].filter((p) => p.lookupKey && !p.priceId);
}

async function lookUp(config: Config, stripe: StripeApi): Promise<PriceResolution> {
	const keys = [...new Set(unresolved(config).map((p) => p.lookupKey ?? ""))];
	const found = new Map<string, string>();
	try {
		for (let i = 0; i < keys.length; i += KEYS_PER_REQUEST) {
			const list = await stripe.listPricesByLookupKeys(keys.slice(i, i + KEYS_PER_REQUEST));
			for (const price of list.data) if (price.lookup_key) found.set(price.lookup_key, price.id);
		}
	} catch (error) {
		return { ok: false, hint: `could not look up PLANS' lookup keys in Stripe: ${errorMessage(error)}` };
	}
	const absent = keys.filter((k) => !found.has(k));
	if (absent.length > 0)
		return {
			ok: false,
			hint: `no active Stripe price has the lookup key ${absent.join(", ")}: run npm run stripe:setup with this key`,
		};
	// The config lives as long as the isolate: the plans keep their price ids, and
	// subscriptions at those prices name their plan (planByPrice) from now on.
	for (const plan of unresolved(config)) {
		plan.priceId = found.get(plan.lookupKey ?? "") ?? "";
		config.planByPrice.set(plan.priceId, plan);
	}
	return { ok: true };
}

/** Fills in the price id of every plan named by a lookup key; at most one Stripe lookup per isolate once it succeeds. */
export function resolvePlanPrices(config: Config, stripe: StripeApi | null): Promise<PriceResolution> {
	// Without Stripe (the offline checkout stand-in) there is nothing to ask and nothing is sold for real.
	if (!stripe || unresolved(config).length === 0) return Promise.resolve({ ok: true });
	let pending = inFlight.get(config);
	if (!pending) {
		pending = lookUp(config, stripe).then((result) => {
			const listed = config.problems.findIndex((p) => p.name === PROBLEM && p.hint === lastHint.get(config));
			if (listed >= 0) config.problems.splice(listed, 1);
			if (result.ok) return result;
			inFlight.delete(config);
			lastHint.set(config, result.hint);
			config.problems.push({ name: PROBLEM, hint: result.hint });
			log("CONFIG_ERROR", { check: PROBLEM, hint: result.hint });
			return result;
		});
		inFlight.set(config, pending);
	}
	return pending;
}
