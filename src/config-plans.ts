// PLANS, the one catalogue: plan code → a Stripe price id, or an object naming
// the price (by id, or by lookup_key so test and live share one value) and how
// it is sold (display name and price, one-time or subscription, a trial). A
// bad entry is a listed problem, never a crash.
import type { ConfigProblem, Plan } from "./config";
import { PLAN_MODES } from "./rules/access";

const PLAN_HINT =
	'must be a price id or {"price": "price_…" or "lookup_key": "…", "name"?, "price_display"?, "mode"?: "subscription" | "payment", "trial_days"?}';

/** PLANS: plan code → a price id, or an object naming the price and how it is sold. */
export function parsePlans(raw: string | undefined, problems: ConfigProblem[]): Map<string, Plan> {
	const plans = new Map<string, Plan>();
	let parsed: Record<string, unknown>;
	try {
		parsed = JSON.parse(raw ?? "{}") as Record<string, unknown>;
	} catch {
		problems.push({ name: "plans", hint: 'PLANS is not valid JSON: expected {"plan_code": "price_…"}' });
		return plans;
	}
	for (const [code, entry] of Object.entries(parsed)) {
		if (typeof entry === "string") {
			plans.set(code, { code, priceId: entry, name: code, mode: "subscription" });
			continue;
		}
		const e = (entry && typeof entry === "object" ? entry : {}) as Record<string, unknown>;
		const mode = e.mode === undefined ? "subscription" : PLAN_MODES.find((m) => m === e.mode);
		const trial = e.trial_days;
		const trialOk = trial === undefined || (typeof trial === "number" && Number.isInteger(trial) && trial > 0);
		const lookupKey = typeof e.lookup_key === "string" && e.lookup_key !== "" ? e.lookup_key : undefined;
		// Exactly one of the two: a price id and a lookup key could disagree.
		const named = (typeof e.price === "string") !== (lookupKey !== undefined);
		if (!named || !mode || !trialOk || (trial !== undefined && mode === "payment")) {
			problems.push({ name: "plans", hint: `PLANS["${code}"] ${PLAN_HINT}; trial_days only for subscriptions` });
			continue;
		}
		plans.set(code, {
			code,
			// A lookup key's price id is learned from Stripe (src/stripe/plan-prices.ts).
			priceId: typeof e.price === "string" ? e.price : "",
			...(lookupKey ? { lookupKey } : {}),
			name: typeof e.name === "string" ? e.name : code,
			priceDisplay: typeof e.price_display === "string" ? e.price_display : undefined,
			mode,
			trialDays: typeof trial === "number" ? trial : undefined,
		});
	}
	if (plans.size === 0 && !problems.some((p) => p.name === "plans")) {
		problems.push({ name: "plans", hint: 'PLANS is empty: set it to {"plan_code": "price_…"}' });
	}
	return plans;
}
