// Stripe's catalogue and webhook endpoints as `npm run stripe:setup` and the
// worker meet them, refusing what Stripe refuses: products (create with an
// optional id, retrieve, update), prices (create, list by lookup_keys, update
// only what Stripe lets change: a new amount is a 400, as it is in Stripe) and
// webhook endpoints (create, update; `secret` only in the answer that creates
// one; api_version cannot be updated).
// https://docs.stripe.com/api/products, /api/prices, /api/webhook_endpoints
import priceTemplate from "../../fixtures/stripe/price.json" with { type: "json" };
import type { Answer, Json, RecordedRequest } from "./types.ts";

export interface Catalog {
	products: Map<string, Json>;
	prices: Map<string, Json>;
	endpoints: Json[];
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
let counter = 0;
const newId = (prefix: string) =>
	`${prefix}${Date.now().toString(36)}${(++counter).toString(36)}${Math.random().toString(36).slice(2, 8)}`;

function invalid(param: string, message: string, code?: string): Answer {
	return { status: 400, body: { error: { type: "invalid_request_error", code, message, param } } };
}

function missing(object: string, id: string): Answer {
	return {
		status: 404,
		body: {
			error: {
				type: "invalid_request_error",
				code: "resource_missing",
				message: `No such ${object}: '${id}'`,
				param: "id",
			},
		},
	};
}

/** Stripe names the first parameter it does not know; updates are where the unchangeable ones show up. */
function unknownParam(form: Record<string, string>, allowed: string[]): Answer | undefined {
	for (const key of Object.keys(form)) {
		const root = key.replace(/\[.*$/, "");
		if (!allowed.includes(root)) return invalid(root, `Received unknown parameter: ${root}`);
	}
	return undefined;
}

/** `a[0]=x&a[1]=y` or `a[]=x&a[]=y`: Stripe reads both as a list. */
function listParam(pairs: [string, string][], name: string): string[] {
	return pairs.filter(([k]) => new RegExp(`^${name}\\[\\d*\\]$`).test(k)).map(([, v]) => v);
}

function metadataOf(form: Record<string, string>): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [k, v] of Object.entries(form)) {
		const m = k.match(/^metadata\[([^\]]+)\]$/);
		if (m?.[1]) out[m[1]] = v;
	}
	return out;
}

const bool = (v: string | undefined) => (v === undefined ? undefined : v === "true");

function products(r: RecordedRequest, c: Catalog, livemode: boolean): Answer | undefined {
	const f = r.form;
	if (r.path === "/v1/products" && r.method === "POST") {
		const refused = unknownParam(f, ["id", "name", "description", "active", "metadata"]);
		if (refused) return refused;
		if (!f.name) return invalid("name", "Missing required param: name.", "parameter_missing");
		const id = f.id ?? newId("prod_");
		if (c.products.has(id)) return invalid("id", `Product already exists.`, "resource_already_exists");
		const product: Json = {
			id,
			object: "product",
			active: bool(f.active) ?? true,
			created: nowSeconds(),
			description: f.description ?? null,
			livemode,
			metadata: metadataOf(f),
			name: f.name,
			updated: nowSeconds(),
		};
		c.products.set(id, product);
		return { status: 200, body: product };
	}
	const one = r.path.match(/^\/v1\/products\/([^/]+)$/);
	if (!one) return undefined;
	const id = decodeURIComponent(one[1] ?? "");
	const product = c.products.get(id);
	if (!product) return missing("product", id);
	if (r.method === "GET") return { status: 200, body: product };
	const refused = unknownParam(f, ["name", "description", "active", "metadata"]);
	if (refused) return refused;
	if (f.name !== undefined) product.name = f.name;
	if (f.description !== undefined) product.description = f.description === "" ? null : f.description;
	if (f.active !== undefined) product.active = f.active === "true";
	product.metadata = { ...(product.metadata as Json), ...metadataOf(f) };
	product.updated = nowSeconds();
	return { status: 200, body: product };
}

function holderOf(c: Catalog, lookupKey: string): Json | undefined {
	return [...c.prices.values()].find((p) => p.lookup_key === lookupKey);
}

/** A lookup key belongs to one price; `transfer_lookup_key` moves it, anything else is Stripe's 400. */
function claimLookupKey(c: Catalog, lookupKey: string, transfer: boolean, self?: Json): Answer | undefined {
	const holder = holderOf(c, lookupKey);
	if (!holder || holder === self) return undefined;
	if (!transfer)
		return invalid(
			"lookup_key",
			`A price (\`${String(holder.id)}\`) already uses that lookup key. To transfer it to this price, pass \`transfer_lookup_key\`.`,
		);
	holder.lookup_key = null;
	return undefined;
}

function prices(r: RecordedRequest, c: Catalog, livemode: boolean): Answer | undefined {
	const f = r.form;
	if (r.path === "/v1/prices" && r.method === "GET") {
		const keys = listParam(r.pairs ?? Object.entries(r.query), "lookup_keys");
		if (keys.length > 10) return invalid("lookup_keys", "You may pass at most 10 lookup_keys.");
		const limit = Number(r.query.limit ?? 10);
		if (!Number.isInteger(limit) || limit < 1 || limit > 100)
			return invalid("limit", "Invalid limit: must be an integer between 1 and 100");
		const active = bool(r.query.active);
		const data = [...c.prices.values()]
			.filter(
				(p) =>
					(keys.length === 0 || keys.includes(String(p.lookup_key))) &&
					(active === undefined || p.active === active) &&
					(!r.query.product || p.product === r.query.product),
			)
			.sort((x, y) => Number(y.created) - Number(x.created));
		return {
			status: 200,
			body: {
				object: "list",
				url: "/v1/prices",
				has_more: data.length > limit,
				data: data.slice(0, limit).map((p) => ({ ...p, livemode })),
			},
		};
	}
	if (r.path === "/v1/prices" && r.method === "POST") {
		const refused = unknownParam(f, [
			"product",
			"unit_amount",
			"currency",
			"recurring",
			"lookup_key",
			"transfer_lookup_key",
			"nickname",
			"active",
			"metadata",
		]);
		if (refused) return refused;
		if (!f.currency) return invalid("currency", "Missing required param: currency.", "parameter_missing");
		if (!f.product) return invalid("product", "Missing required param: product.", "parameter_missing");
		if (!c.products.has(f.product)) return { ...missing("product", f.product), status: 400 };
		if (f.unit_amount === undefined || !/^\d+$/.test(f.unit_amount))
			return invalid("unit_amount", "Missing required param: unit_amount.", "parameter_missing");
		const interval = f["recurring[interval]"];
		if (interval !== undefined && !["day", "week", "month", "year"].includes(interval))
			return invalid("recurring[interval]", "Invalid recurring[interval]: must be one of day, week, month, or year");
		if (f.lookup_key) {
			const taken = claimLookupKey(c, f.lookup_key, f.transfer_lookup_key === "true");
			if (taken) return taken;
		}
		const id = newId("price_");
		const price: Json = {
			...priceTemplate,
			id,
			active: bool(f.active) ?? true,
			created: nowSeconds(),
			currency: f.currency,
			livemode,
			lookup_key: f.lookup_key ?? null,
			metadata: metadataOf(f),
			nickname: f.nickname ?? null,
			product: f.product,
			type: interval ? "recurring" : "one_time",
			recurring: interval
				? { ...priceTemplate.recurring, interval, interval_count: Number(f["recurring[interval_count]"] ?? 1) }
				: null,
			unit_amount: Number(f.unit_amount),
			unit_amount_decimal: f.unit_amount,
		};
		c.prices.set(id, price);
		return { status: 200, body: price };
	}
	const one = r.path.match(/^\/v1\/prices\/([^/]+)$/);
	if (!one || r.method !== "POST") return undefined;
	const id = decodeURIComponent(one[1] ?? "");
	const price = c.prices.get(id);
	if (!price) return missing("price", id);
	// What a price update accepts; its amount, currency and interval are not among them.
	const refused = unknownParam(f, ["active", "lookup_key", "transfer_lookup_key", "nickname", "metadata"]);
	if (refused) return refused;
	if (f.lookup_key !== undefined) {
		const taken = claimLookupKey(c, f.lookup_key, f.transfer_lookup_key === "true", price);
		if (taken) return taken;
		price.lookup_key = f.lookup_key === "" ? null : f.lookup_key;
	}
	if (f.active !== undefined) price.active = f.active === "true";
	if (f.nickname !== undefined) price.nickname = f.nickname;
	price.metadata = { ...(price.metadata as Json), ...metadataOf(f) };
	return { status: 200, body: { ...price, livemode } };
}

/** Stripe delivers only to a URL on the internet; this machine's own is refused. */
function unreachableUrl(url: string): Answer | undefined {
	let host = "";
	try {
		host = new URL(url).hostname;
	} catch {
		return invalid("url", "Invalid URL: An explicit scheme (such as https) must be provided.", "url_invalid");
	}
	if (host === "localhost" || host === "[::1]" || /^127\./.test(host) || /^0\./.test(host))
		return invalid(
			"url",
			"Invalid URL: URL must be publicly accessible. Consider using a tool like the Stripe CLI to test webhooks locally.",
			"url_invalid",
		);
	return undefined;
}

/** The fields of an endpoint every answer carries; `secret` is added only to the create answer. */
function endpointView(e: Json): Json {
	const { secret: _secret, ...rest } = e;
	return rest;
}

function endpoints(r: RecordedRequest, c: Catalog, livemode: boolean, pairs: [string, string][]): Answer | undefined {
	const f = r.form;
	if (r.path === "/v1/webhook_endpoints" && r.method === "GET") {
		return {
			status: 200,
			body: { object: "list", url: "/v1/webhook_endpoints", has_more: false, data: c.endpoints.map(endpointView) },
		};
	}
	if (r.path === "/v1/webhook_endpoints" && r.method === "POST") {
		const refused = unknownParam(f, ["url", "enabled_events", "api_version", "description", "metadata", "connect"]);
		if (refused) return refused;
		if (!f.url) return invalid("url", "Missing required param: url.", "parameter_missing");
		const unreachable = unreachableUrl(f.url);
		if (unreachable) return unreachable;
		const events = listParam(pairs, "enabled_events");
		if (events.length === 0)
			return invalid("enabled_events", "Missing required param: enabled_events.", "parameter_missing");
		const endpoint: Json = {
			id: newId("we_"),
			object: "webhook_endpoint",
			api_version: f.api_version ?? null,
			application: null,
			created: nowSeconds(),
			description: f.description ?? null,
			enabled_events: events,
			livemode,
			metadata: metadataOf(f),
			status: "enabled",
			url: f.url,
		};
		const secret = `whsec_${newId("")}${newId("")}`;
		c.endpoints.push(endpoint);
		return { status: 200, body: { ...endpoint, secret } };
	}
	const one = r.path.match(/^\/v1\/webhook_endpoints\/([^/]+)$/);
	if (!one || r.method !== "POST") return undefined;
	const id = decodeURIComponent(one[1] ?? "");
	const endpoint = c.endpoints.find((e) => e.id === id);
	if (!endpoint) return missing("webhook_endpoint", id);
	// https://docs.stripe.com/api/webhook_endpoints/update: no api_version among these.
	const refused = unknownParam(f, ["url", "enabled_events", "description", "metadata", "disabled"]);
	if (refused) return refused;
	if (f.url !== undefined) {
		const unreachable = unreachableUrl(f.url);
		if (unreachable) return unreachable;
		endpoint.url = f.url;
	}
	const events = listParam(pairs, "enabled_events");
	if (events.length > 0) endpoint.enabled_events = events;
	if (f.disabled !== undefined) endpoint.status = f.disabled === "true" ? "disabled" : "enabled";
	if (f.description !== undefined) endpoint.description = f.description;
	endpoint.metadata = { ...(endpoint.metadata as Json), ...metadataOf(f) };
	return { status: 200, body: endpointView(endpoint) };
}

/** The catalogue's answer to `r`, or undefined when `r` is not one of its routes. */
export function catalogAnswer(r: RecordedRequest, c: Catalog, livemode: boolean): Answer | undefined {
	const formPairs = [...new URLSearchParams(r.text)] as [string, string][];
	return products(r, c, livemode) ?? prices(r, c, livemode) ?? endpoints(r, c, livemode, formPairs);
}
