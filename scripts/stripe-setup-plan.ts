// The pure half of `npm run stripe:setup` and `npm run doctor -- --fix`: reads
// stripe/plans.json, compares it and the webhook endpoint this service needs
// with what Stripe holds, and lists the requests that would make them agree.
// No I/O: scripts/stripe-setup-run.ts reads Stripe and sends the requests.
import { WEBHOOK_PATHS } from "../src/rules/stripe-endpoint.ts";
import { HANDLED_EVENT_TYPES } from "../src/stripe/handled-events.ts";

export const INTERVALS = ["day", "week", "month", "year"] as const;
export type Interval = (typeof INTERVALS)[number];

export interface PriceSpec {
	lookup_key: string;
	unit_amount: number;
	currency: string;
	/** Recurring price; absent: a one-time price. */
	interval?: Interval;
}

export interface ProductSpec {
	id: string;
	name: string;
	description?: string;
	prices: PriceSpec[];
}

export interface PlansFile {
	products: ProductSpec[];
	/** Exactly the worker's PLANS value: plan code → {lookup_key, name?, price_display?, mode?, trial_days?}. */
	plans: Record<string, Record<string, unknown>>;
}

/** What Stripe holds, as far as the plan reads it. */
export interface StripeProduct {
	id: string;
	name: string;
	description: string | null;
	active: boolean;
}

export interface StripePrice {
	id: string;
	product: string;
	lookup_key: string | null;
	unit_amount: number | null;
	currency: string;
	active: boolean;
	recurring: { interval: string; interval_count: number } | null;
}

export interface StripeEndpoint {
	id: string;
	url: string;
	enabled_events: string[];
	status: string;
	api_version: string | null;
	metadata?: Record<string, string> | null;
}

/** One request to Stripe, and what it does in words. */
export interface SetupAction {
	path: string;
	params: Record<string, unknown>;
	summary: string;
	/** Creating an endpoint: Stripe answers its signing secret this once. */
	createsEndpoint?: boolean;
}

/** Endpoint metadata naming the deployment (its APP_URL): finds our endpoint again after its URL drifted. */
export const ENDPOINT_TAG = "onboarding_origin";

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** plans.json checked as a whole: every mistake listed at once, nothing sent to Stripe until there is none. */
export function parsePlansFile(raw: unknown): { ok: true; file: PlansFile } | { ok: false; errors: string[] } {
	const errors: string[] = [];
	if (!isRecord(raw) || !Array.isArray(raw.products) || !isRecord(raw.plans))
		return { ok: false, errors: ['expected {"products": [...], "plans": {...}}'] };
	const prices = new Map<string, PriceSpec>();
	const products: ProductSpec[] = [];
	for (const [i, p] of raw.products.entries()) {
		if (!isRecord(p) || typeof p.id !== "string" || typeof p.name !== "string" || !Array.isArray(p.prices)) {
			errors.push(`products[${i}] needs an id, a name and a list of prices`);
			continue;
		}
		const specs: PriceSpec[] = [];
		for (const [j, price] of p.prices.entries()) {
			const where = `products[${i}].prices[${j}]`;
			if (!isRecord(price) || typeof price.lookup_key !== "string" || price.lookup_key === "") {
				errors.push(`${where} needs a lookup_key`);
				continue;
			}
			const amount = price.unit_amount;
			if (typeof amount !== "number" || !Number.isInteger(amount) || amount < 0)
				errors.push(`${where}.unit_amount must be a whole number of the currency's smallest unit (2900 for $29)`);
			if (typeof price.currency !== "string" || !/^[a-z]{3}$/.test(price.currency))
				errors.push(`${where}.currency must be a lowercase ISO code such as "usd"`);
			const interval = INTERVALS.find((x) => x === price.interval);
			if (price.interval !== undefined && !interval) errors.push(`${where}.interval must be one of ${INTERVALS}`);
			if (prices.has(price.lookup_key)) errors.push(`lookup_key "${price.lookup_key}" appears twice`);
			const spec: PriceSpec = {
				lookup_key: price.lookup_key,
				unit_amount: Number(amount),
				currency: String(price.currency),
				...(interval ? { interval } : {}),
			};
			prices.set(spec.lookup_key, spec);
			specs.push(spec);
		}
		products.push({
			id: p.id,
			name: p.name,
			...(typeof p.description === "string" ? { description: p.description } : {}),
			prices: specs,
		});
	}
	const plans: PlansFile["plans"] = {};
	for (const [code, plan] of Object.entries(raw.plans)) {
		if (isRecord(plan)) plans[code] = plan;
		const lookupKey = isRecord(plan) ? plan.lookup_key : undefined;
		const price = typeof lookupKey === "string" ? prices.get(lookupKey) : undefined;
		if (!isRecord(plan) || !price) {
			errors.push(`plans.${code}.lookup_key must name a price above`);
			continue;
		}
		// The worker sells a recurring price as a subscription and a one-time price in payment mode only.
		if (plan.mode === "payment" && price.interval)
			errors.push(`plans.${code} is a one-time plan but ${price.lookup_key} is recurring`);
		if (plan.mode !== "payment" && !price.interval)
			errors.push(`plans.${code} is a subscription but ${price.lookup_key} is a one-time price: add "mode": "payment"`);
		if (plan.trial_days !== undefined && plan.mode === "payment")
			errors.push(`plans.${code}: trial_days only for subscriptions`);
	}
	return errors.length > 0 ? { ok: false, errors } : { ok: true, file: { products, plans } };
}

const money = (p: { unit_amount: number | null; currency: string }) =>
	`${((p.unit_amount ?? 0) / 100).toFixed(2)} ${p.currency}`;
const cadence = (interval: string | undefined) => (interval ? `/${interval}` : " once");

function samePrice(spec: PriceSpec, productId: string, held: StripePrice): boolean {
	return (
		held.product === productId &&
		held.unit_amount === spec.unit_amount &&
		held.currency === spec.currency &&
		(spec.interval
			? held.recurring?.interval === spec.interval && held.recurring.interval_count === 1
			: held.recurring === null)
	);
}

function priceParams(spec: PriceSpec, productId: string): Record<string, unknown> {
	return {
		product: productId,
		unit_amount: spec.unit_amount,
		currency: spec.currency,
		lookup_key: spec.lookup_key,
		...(spec.interval ? { recurring: { interval: spec.interval } } : {}),
	};
}

/**
 * Products by id, prices by lookup_key. A price's amount, currency and
 * interval cannot change in Stripe (https://docs.stripe.com/api/prices/update):
 * a changed one is a new price that takes the lookup key over
 * (`transfer_lookup_key`), and the old one is archived so nothing new is sold
 * at it; its subscribers keep it.
 */
export function planCatalog(
	file: PlansFile,
	held: { products: Map<string, StripeProduct>; prices: StripePrice[] },
): SetupAction[] {
	const actions: SetupAction[] = [];
	for (const product of file.products) {
		const existing = held.products.get(product.id);
		if (!existing) {
			actions.push({
				path: "/v1/products",
				params: { id: product.id, name: product.name, description: product.description },
				summary: `create product ${product.id} (${product.name})`,
			});
		} else {
			const changes: Record<string, unknown> = {};
			if (existing.name !== product.name) changes.name = product.name;
			if (product.description !== undefined && existing.description !== product.description)
				changes.description = product.description;
			if (!existing.active) changes.active = true;
			if (Object.keys(changes).length > 0)
				actions.push({
					path: `/v1/products/${product.id}`,
					params: changes,
					summary: `update product ${product.id}: ${Object.keys(changes).join(", ")}`,
				});
		}
		for (const spec of product.prices) {
			const current = held.prices.find((p) => p.lookup_key === spec.lookup_key);
			const label = `${spec.lookup_key} (${money(spec)}${cadence(spec.interval)})`;
			if (!current) {
				actions.push({ path: "/v1/prices", params: priceParams(spec, product.id), summary: `create price ${label}` });
			} else if (!samePrice(spec, product.id, current)) {
				actions.push({
					path: "/v1/prices",
					params: { ...priceParams(spec, product.id), transfer_lookup_key: true },
					summary: `create price ${label}, taking the lookup key from ${current.id} (${money(current)}${cadence(current.recurring?.interval)}): Stripe cannot change a price's amount`,
				});
				if (current.active)
					actions.push({
						path: `/v1/prices/${current.id}`,
						params: { active: false },
						summary: `archive price ${current.id}: its subscribers keep it, nobody new buys it`,
					});
			} else if (!current.active) {
				actions.push({
					path: `/v1/prices/${current.id}`,
					params: { active: true },
					summary: `reactivate price ${label}`,
				});
			}
		}
	}
	return actions;
}

export interface EndpointWanted {
	appUrl: string;
	apiVersion: string;
}

export interface EndpointPlan {
	actions: SetupAction[];
	/** What the operator must do by hand, when Stripe allows no request for it. */
	notes: string[];
}

const normalized = (url: string) => url.replace(/^http:/, "https:").replace(/\/+$/, "");

/**
 * The webhook endpoint at `${APP_URL}/api/webhook/stripe`, sending every
 * handled event, enabled, on the pinned API version. Ours is the endpoint at
 * one of our URLs, else the one tagged with this deployment, else one that
 * differs only in scheme or trailing slash. Stripe lets an update change
 * url, enabled_events and disabled but not api_version
 * (https://docs.stripe.com/api/webhook_endpoints/update): an endpoint on
 * another version is replaced by a new one beside it.
 */
export function planEndpoint(endpoints: StripeEndpoint[], wanted: EndpointWanted): EndpointPlan {
	const url = `${wanted.appUrl}${WEBHOOK_PATHS[0]}`;
	const ours = WEBHOOK_PATHS.map((p) => `${wanted.appUrl}${p}`);
	const byUrl = endpoints.filter((e) => ours.includes(e.url));
	const candidates =
		byUrl.length > 0
			? byUrl
			: endpoints.filter(
					(e) => e.metadata?.[ENDPOINT_TAG] === wanted.appUrl || ours.some((o) => normalized(o) === normalized(e.url)),
				);
	// Of several, the one on the pinned version (an earlier run may have replaced an older one).
	const endpoint = candidates.find((e) => e.api_version === wanted.apiVersion) ?? candidates[0];
	const events = [...HANDLED_EVENT_TYPES];
	const create: SetupAction = {
		path: "/v1/webhook_endpoints",
		params: {
			url,
			enabled_events: events,
			api_version: wanted.apiVersion,
			description: `Onboarding edge (${wanted.appUrl})`,
			metadata: { [ENDPOINT_TAG]: wanted.appUrl },
		},
		summary: `create webhook endpoint ${url} (${events.length} events, API version ${wanted.apiVersion})`,
		createsEndpoint: true,
	};
	if (!endpoint) return { actions: [create], notes: [] };
	if (endpoint.api_version !== wanted.apiVersion) {
		return {
			actions: [create],
			notes: [
				`${endpoint.id} sends API version ${endpoint.api_version ?? "(the account default)"}, and Stripe cannot change an endpoint's version: add the new endpoint's secret beside the old one (comma-separated), then delete ${endpoint.id} in the Stripe dashboard`,
			],
		};
	}
	const changes: Record<string, unknown> = {};
	const reasons: string[] = [];
	if (endpoint.url !== url) {
		changes.url = url;
		reasons.push(`url ${endpoint.url} → ${url}`);
	}
	const missing = endpoint.enabled_events.includes("*")
		? []
		: events.filter((t) => !endpoint.enabled_events.includes(t));
	if (missing.length > 0) {
		// Events the operator added for other uses stay.
		changes.enabled_events = [...endpoint.enabled_events, ...missing];
		reasons.push(`add ${missing.join(", ")}`);
	}
	if (endpoint.status !== "enabled") {
		changes.disabled = false;
		reasons.push("enable it");
	}
	if (reasons.length === 0) return { actions: [], notes: [] };
	return {
		actions: [
			{
				path: `/v1/webhook_endpoints/${endpoint.id}`,
				params: changes,
				summary: `update ${endpoint.id}: ${reasons.join("; ")}`,
			},
		],
		notes: [],
	};
}
