// Stripe's REST API as far as we call it (checkout sessions, billing portal,
// prices, events, webhook endpoints (products, prices and endpoints in
// stripe-catalog.ts), and the customers, subscriptions, invoices
// and invoice payments money moves back through), unkind where Stripe is:
// Checkout refuses what Stripe refuses, unknown ids are resource_missing, past the account's
// rate it answers 429 with Retry-After (checked before idempotency, so a 429 is
// never saved against the key); an Idempotency-Key replays the first answer, 500s included,
// and the same key with other parameters is a 400 idempotency_error.
// https://docs.stripe.com/rate-limits, https://docs.stripe.com/idempotency
import { invoice, subscription } from "../../../src/stripe/event-kit.ts";
import billingPortalTemplate from "../../fixtures/stripe/billing_portal.session.json" with { type: "json" };
import checkoutSessionTemplate from "../../fixtures/stripe/checkout.session.json" with { type: "json" };
import customerTemplate from "../../fixtures/stripe/customer.json" with { type: "json" };
import invoiceTemplate from "../../fixtures/stripe/invoice.json" with { type: "json" };
import invoicePaymentTemplate from "../../fixtures/stripe/invoice_payment.json" with { type: "json" };
import priceTemplate from "../../fixtures/stripe/price.json" with { type: "json" };
import { catalogAnswer } from "./stripe-catalog.ts";
import {
	type Answer,
	type CustomerSeed,
	type InvoicePaymentSeed,
	type InvoiceSeed,
	type Json,
	RateWindow,
	type RecordedRequest,
	type SeededStripe,
	type SubscriptionSeed,
} from "./types.ts";

interface StripeAccount {
	sessions: Map<string, Json>;
	/** Idempotency key → the first request's body and its answer. */
	idempotent: Map<string, { text: string; answer: Answer }>;
	prices: Map<string, Json>;
	products: Map<string, Json>;
	endpoints: Json[];
	/** Path prefix → how many of the next requests fail, and with which status. */
	failures: Map<string, { times: number; status: number }>;
	events: Map<string, Json>;
	customers: Map<string, Json>;
	subscriptions: Map<string, Json>;
	invoices: Map<string, Json>;
	invoicePayments: Map<string, Json>;
	perSecond: number;
}

function stripeError(
	status: number,
	type: string,
	message: string,
	code?: string,
	headers?: Record<string, string>,
	param?: string,
): Answer {
	return { status, body: { error: { type, code, message, param } }, headers };
}

/** Stripe's 400 for a request that contradicts itself; `param` names the first offender, as Stripe does. */
function invalid(param: string, message: string, code?: string): Answer {
	return stripeError(400, "invalid_request_error", message, code, undefined, param);
}

function missing(object: string, objectId: string, status = 404, param = "id"): Answer {
	return stripeError(
		status,
		"invalid_request_error",
		`No such ${object}: '${objectId}'`,
		"resource_missing",
		undefined,
		param,
	);
}

const hasAny = (form: Record<string, string>, prefix: string) =>
	Object.keys(form).some((k) => k.startsWith(`${prefix}[`));

let counter = 0;
function id(prefix: string): string {
	counter++;
	return `${prefix}${Date.now().toString(36)}${counter.toString(36)}${Math.random().toString(36).slice(2, 10)}`;
}

/** Stripe's form encoding back to flat keys, nested ones as {"metadata[client_id]": "…"} → {client_id: "…"}. */
function nested(form: Record<string, string>, prefix: string): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [k, v] of Object.entries(form)) {
		const m = k.match(new RegExp(`^${prefix.replace(/[[\]]/g, "\\$&")}\\[([^\\]]+)\\]$`));
		if (m?.[1]) out[m[1]] = v;
	}
	return out;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A nested field of an object the stand-in built itself; undefined on any other shape. */
function fieldOf(o: unknown, ...path: string[]): unknown {
	let v = o;
	for (const k of path)
		v = typeof v === "object" && v !== null ? Object.getOwnPropertyDescriptor(v, k)?.value : undefined;
	return v;
}

function stringRecord(v: unknown): Record<string, string> {
	const out: Record<string, string> = {};
	if (typeof v === "object" && v !== null)
		for (const [k, x] of Object.entries(v)) if (typeof x === "string") out[k] = x;
	return out;
}

/**
 * Stripe's refusals of a Checkout Session create: the parameters among
 * themselves first, then the ids they name (a price, a customer). Messages are
 * Stripe's own. https://docs.stripe.com/api/checkout/sessions/create
 */
function refuseCheckout(f: Record<string, string>, a: StripeAccount): Answer | undefined {
	const mode = f.mode;
	if (!mode) return invalid("mode", "Missing required param: mode.", "parameter_missing");
	if (mode !== "payment" && mode !== "subscription" && mode !== "setup")
		return invalid("mode", "Invalid mode: must be one of payment, setup, or subscription");
	// Setup mode saves a card and sells nothing; no plan of ours is sold that way.
	if (mode === "setup") return invalid("mode", "Checkout in setup mode is not served here.");
	if (f.customer !== undefined && f.customer_email !== undefined)
		return invalid("customer", "You may only specify one of these parameters: customer, customer_email.");
	if (f.customer !== undefined && f.customer_creation !== undefined)
		return invalid("customer", "You may only specify one of these parameters: customer, customer_creation.");
	if (mode === "payment" && hasAny(f, "subscription_data"))
		return invalid("subscription_data", "You can not pass `subscription_data` in `payment` mode.");
	if (mode === "subscription" && hasAny(f, "payment_intent_data"))
		return invalid("payment_intent_data", "You can not pass `payment_intent_data` in `subscription` mode.");
	if (f.customer_creation !== undefined) {
		if (mode !== "payment")
			return invalid("customer_creation", "`customer_creation` can only be used in `payment` mode.");
		if (f.customer_creation !== "always" && f.customer_creation !== "if_required")
			return invalid("customer_creation", "Invalid customer_creation: must be one of if_required or always");
	}
	const trial = f["subscription_data[trial_period_days]"];
	if (trial !== undefined) {
		const param = "subscription_data[trial_period_days]";
		if (!/^\d+$/.test(trial)) return invalid(param, `Invalid integer: ${trial}`);
		if (Number(trial) < 1) return invalid(param, "The minimum number of trial period days is 1.");
		if (Number(trial) > 730) return invalid(param, "The maximum number of trial period days is 730 (2 years).");
	}
	const priceId = f["line_items[0][price]"];
	if (!priceId) return invalid("line_items", "Missing required param: line_items.", "parameter_missing");
	const price = a.prices.get(priceId);
	if (!price) return missing("price", priceId, 400, "line_items[0][price]");
	if (mode === "payment" && price.type === "recurring")
		return invalid(
			"line_items[0]",
			"You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.",
		);
	if (mode === "subscription" && price.type !== "recurring")
		return invalid(
			"line_items",
			"You must provide at least one recurring price in `subscription` mode when using prices.",
		);
	if (f.customer !== undefined) {
		// A deleted customer can start nothing new: Stripe answers as for an unknown one.
		const customer = a.customers.get(f.customer);
		if (!customer || customer.deleted === true) return missing("customer", f.customer, 400, "customer");
	}
	return undefined;
}

/**
 * GET /v1/invoice_payments, filtered by invoice, payment and status, newest
 * first. A payment intent that paid no invoice (a one-time Checkout) is an
 * empty list, not a 404. https://docs.stripe.com/api/invoice-payment/list
 */
function listInvoicePayments(r: RecordedRequest, a: StripeAccount): Answer {
	const q = r.query;
	const type = q["payment[type]"];
	const intent = q["payment[payment_intent]"];
	if (type === undefined && intent !== undefined)
		return invalid("payment[type]", "Missing required param: payment[type].", "parameter_missing");
	if (type !== undefined && type !== "payment_intent" && type !== "payment_record")
		return invalid("payment[type]", "Invalid payment[type]: must be one of payment_intent or payment_record");
	const limit = Number(q.limit ?? 10);
	if (!Number.isInteger(limit) || limit < 1 || limit > 100)
		return invalid("limit", "Invalid limit: must be an integer between 1 and 100");
	let data = [...a.invoicePayments.values()]
		.filter(
			(p) =>
				(!q.invoice || p.invoice === q.invoice) &&
				(!type || fieldOf(p, "payment", "type") === type) &&
				(!intent || fieldOf(p, "payment", "payment_intent") === intent) &&
				(!q.status || p.status === q.status),
		)
		.sort((x, y) => Number(y.created) - Number(x.created));
	const after = q.starting_after;
	if (after) {
		const index = data.findIndex((p) => p.id === after);
		if (index < 0) return missing("invoice_payment", after, 400, "starting_after");
		data = data.slice(index + 1);
	}
	return {
		status: 200,
		body: { object: "list", url: "/v1/invoice_payments", has_more: data.length > limit, data: data.slice(0, limit) },
	};
}

/** The name Stripe's "No such …" gives each retrievable object. */
const OBJECT_NAMES: Record<string, string> = {
	customers: "customer",
	subscriptions: "subscription",
	invoices: "invoice",
	invoice_payments: "invoice_payment",
};

function retrievable(a: StripeAccount, kind: string): Map<string, Json> {
	switch (kind) {
		case "customers":
			return a.customers;
		case "subscriptions":
			return a.subscriptions;
		case "invoices":
			return a.invoices;
		default:
			return a.invoicePayments;
	}
}

function seededCustomer(c: CustomerSeed, livemode: boolean): Json {
	// What GET /v1/customers/:id answers, with 200, once a customer is deleted.
	if (c.deleted) return { id: c.id, object: "customer", deleted: true };
	return {
		...customerTemplate,
		id: c.id,
		created: c.created ?? nowSeconds(),
		email: c.email ?? null,
		name: c.name ?? null,
		metadata: c.metadata ?? {},
		livemode,
		...c.fields,
	};
}

function seededSubscription(s: SubscriptionSeed, livemode: boolean): Json {
	const created = s.created ?? nowSeconds();
	const built = subscription({
		id: s.id,
		customer: s.customer,
		status: s.status,
		created,
		metadata: s.metadata ?? {},
		price: s.price,
		livemode,
		trial_start: s.trial_end ? created : null,
		trial_end: s.trial_end ?? null,
	});
	const [item, ...others] = built.items.data;
	// Since 2025-03-31 the period lives on the item, not the subscription.
	const items =
		item && s.current_period_end !== undefined
			? { ...built.items, data: [{ ...item, current_period_end: s.current_period_end }, ...others] }
			: built.items;
	return { ...built, items, ...s.fields };
}

function seededInvoice(i: InvoiceSeed, a: StripeAccount, livemode: boolean): Json {
	const created = i.created ?? nowSeconds();
	const status = i.status ?? "paid";
	const [line] = invoiceTemplate.lines.data;
	const base = i.subscription
		? invoice({
				id: i.id,
				customer: i.customer,
				subscription: i.subscription,
				status,
				created,
				// Stripe copies the subscription's metadata to the invoice's parent.
				metadata: i.metadata ?? stringRecord(a.subscriptions.get(i.subscription)?.metadata),
			})
		: {
				...invoiceTemplate,
				id: i.id,
				customer: i.customer,
				status,
				created,
				effective_at: created,
				billing_reason: "manual",
				subscription: null,
				parent: null,
				lines: {
					...invoiceTemplate.lines,
					data: line
						? [
								{
									...line,
									invoice: i.id,
									parent: {
										type: "invoice_item_details",
										invoice_item_details: {
											invoice_item: `ii_${id("")}`,
											proration: false,
											proration_details: { credited_items: null },
											subscription: null,
										},
										subscription_item_details: null,
									},
								},
							]
						: [],
					url: `/v1/invoices/${i.id}/lines`,
				},
			};
	const paid = status === "paid";
	const due = invoiceTemplate.amount_due;
	return {
		...base,
		livemode,
		// A finalized invoice has a page to pay it on; a draft has none yet.
		hosted_invoice_url:
			i.hosted_invoice_url !== undefined
				? i.hosted_invoice_url
				: status === "draft"
					? null
					: `https://invoice.stripe.com/i/acct_standin/${livemode ? "live" : "test"}_${i.id}`,
		billing_reason: i.billing_reason ?? base.billing_reason,
		amount_paid: paid ? due : 0,
		amount_remaining: paid ? 0 : due,
		status_transitions: {
			...invoiceTemplate.status_transitions,
			finalized_at: status === "draft" ? null : created,
			paid_at: paid ? created : null,
		},
		...i.fields,
	};
}

function seededInvoicePayment(p: InvoicePaymentSeed, livemode: boolean): Json {
	const created = p.created ?? nowSeconds();
	const status = p.status ?? "paid";
	const amount = p.amount_paid ?? invoicePaymentTemplate.amount_requested;
	return {
		...invoicePaymentTemplate,
		id: p.id ?? `inpay_${id("")}`,
		invoice: p.invoice,
		payment: { type: "payment_intent", payment_intent: p.payment_intent },
		// Stripe leaves amount_paid null until the payment succeeds.
		amount_paid: status === "paid" ? amount : null,
		amount_requested: amount,
		status,
		created,
		livemode,
		status_transitions: {
			canceled_at: status === "canceled" ? created : null,
			paid_at: status === "paid" ? created : null,
		},
		...p.fields,
	};
}

/**
 * A seed list from the control route's JSON: trusted as `T` once every entry
 * carries the string fields `required` names (the rest of `T` is optional);
 * undefined, and a 400, otherwise.
 */
function entries<T>(list: unknown, required: string[]): T[] | undefined {
	if (list === undefined) return [];
	if (!Array.isArray(list)) return undefined;
	const trusted = (e: unknown): e is T =>
		typeof e === "object" && e !== null && required.every((k) => typeof fieldOf(e, k) === "string");
	return list.every(trusted) ? list : undefined;
}

/** The one-time price every account has, beside the two monthly ones. */
export const ONE_TIME_PRICE = "price_lifetime_once";

export function createStripeStandIn() {
	const accounts = new Map<string, StripeAccount>();
	const rate = new RateWindow();
	const account = (key: string) => {
		let a = accounts.get(key);
		if (!a) {
			const prices = new Map<string, Json>();
			for (const pid of ["price_starter_monthly", "price_pro_monthly"]) prices.set(pid, { ...priceTemplate, id: pid });
			// A one-time price, for Checkout in payment mode (which refuses a recurring one).
			prices.set(ONE_TIME_PRICE, {
				...priceTemplate,
				id: ONE_TIME_PRICE,
				type: "one_time",
				recurring: null,
				unit_amount: 29900,
				unit_amount_decimal: "29900",
			});
			a = {
				sessions: new Map(),
				idempotent: new Map(),
				prices,
				products: new Map(),
				endpoints: [],
				failures: new Map(),
				events: new Map(),
				customers: new Map(),
				subscriptions: new Map(),
				invoices: new Map(),
				invoicePayments: new Map(),
				perSecond: 1000,
			};
			accounts.set(key, a);
		}
		return a;
	};

	/** Takes one injected failure for `path` whose status `which` accepts; its status, or 0 for none. */
	function injected(a: StripeAccount, path: string, which: (status: number) => boolean): number {
		for (const [prefix, failure] of a.failures) {
			if (failure.times > 0 && path.startsWith(prefix) && which(failure.status)) {
				failure.times--;
				return failure.status;
			}
		}
		return 0;
	}

	function execute(r: RecordedRequest, a: StripeAccount): Answer {
		const { method, path } = r;
		const failed = injected(a, path, (status) => status !== 429);
		if (failed) return stripeError(failed, "api_error", "stand-in failure");
		const livemode = r.key.includes("_live_");
		const catalog = catalogAnswer(r, a, livemode);
		if (catalog) return catalog;
		if (path === "/v1/checkout/sessions" && method === "POST") {
			const f = r.form;
			const refused = refuseCheckout(f, a);
			if (refused) return refused;
			const mode = f.mode === "payment" ? "payment" : "subscription";
			const price = a.prices.get(f["line_items[0][price]"] ?? "");
			const sessionId = `cs_${livemode ? "live" : "test"}_${id("")}`;
			const created = Math.floor(Date.now() / 1000);
			const amount = typeof price?.unit_amount === "number" ? price.unit_amount : checkoutSessionTemplate.amount_total;
			const session: Json = {
				...checkoutSessionTemplate,
				id: sessionId,
				created,
				expires_at: created + 86400,
				livemode,
				mode,
				amount_subtotal: amount,
				amount_total: amount,
				client_reference_id: f.client_reference_id ?? null,
				customer: f.customer ?? null,
				customer_email: f.customer_email ?? null,
				// Payment mode makes a customer only when asked; Stripe echoes its default.
				customer_creation: mode === "payment" ? (f.customer_creation ?? "if_required") : null,
				metadata: nested(f, "metadata"),
				success_url: f.success_url,
				cancel_url: f.cancel_url ?? null,
				status: "open",
				payment_status: "unpaid",
				url: `https://checkout.stripe.com/c/pay/${sessionId}`,
			};
			a.sessions.set(sessionId, session);
			return { status: 200, body: session };
		}
		const one = path.match(/^\/v1\/checkout\/sessions\/([^/]+)$/);
		if (one && method === "GET") {
			const session = a.sessions.get(decodeURIComponent(one[1] ?? ""));
			return session
				? { status: 200, body: session }
				: stripeError(404, "invalid_request_error", "No such checkout.session", "resource_missing");
		}
		if (path === "/v1/checkout/sessions" && method === "GET") {
			const gte = Number(r.query["created[gte]"] ?? 0);
			const limit = Math.min(100, Number(r.query.limit ?? 10));
			let data = [...a.sessions.values()]
				.filter((s) => (!r.query.status || s.status === r.query.status) && Number(s.created) >= gte)
				.sort((x, y) => Number(y.created) - Number(x.created));
			const after = r.query.starting_after;
			if (after) {
				const at = data.findIndex((s) => s.id === after);
				if (at < 0)
					return stripeError(400, "invalid_request_error", `No such checkout.session: '${after}'`, "resource_missing");
				data = data.slice(at + 1);
			}
			return {
				status: 200,
				body: {
					object: "list",
					url: "/v1/checkout/sessions",
					has_more: data.length > limit,
					data: data.slice(0, limit),
				},
			};
		}
		if (path === "/v1/billing_portal/sessions" && method === "POST") {
			if (!r.form.customer)
				return stripeError(400, "invalid_request_error", "Missing required param: customer.", "parameter_missing");
			const portalId = `bps_${id("")}`;
			return {
				status: 200,
				body: {
					...billingPortalTemplate,
					id: portalId,
					customer: r.form.customer,
					return_url: r.form.return_url ?? null,
					livemode,
					url: `https://billing.stripe.com/p/session/${portalId}`,
				},
			};
		}
		const price = path.match(/^\/v1\/prices\/([^/]+)$/);
		if (price && method === "GET") {
			const p = a.prices.get(decodeURIComponent(price[1] ?? ""));
			return p
				? { status: 200, body: { ...p, livemode } }
				: stripeError(404, "invalid_request_error", "No such price", "resource_missing");
		}
		const event = path.match(/^\/v1\/events\/([^/]+)$/);
		if (event && method === "GET") {
			const e = a.events.get(decodeURIComponent(event[1] ?? ""));
			return e
				? { status: 200, body: e }
				: stripeError(404, "invalid_request_error", "No such event", "resource_missing");
		}
		if (path === "/v1/invoice_payments" && method === "GET") return listInvoicePayments(r, a);
		const held = path.match(/^\/v1\/(customers|subscriptions|invoices|invoice_payments)\/([^/]+)$/);
		if (held && method === "GET") {
			const [, kind = "", raw = ""] = held;
			const objectId = decodeURIComponent(raw);
			const found = retrievable(a, kind).get(objectId);
			return found ? { status: 200, body: found } : missing(OBJECT_NAMES[kind] ?? kind, objectId);
		}
		return stripeError(404, "invalid_request_error", `Unrecognized request URL (${method}: ${path})`);
	}

	function handle(r: RecordedRequest): Answer {
		if (!/^(sk|rk)_(test|live)_/.test(r.key))
			return stripeError(401, "invalid_request_error", "Invalid API Key provided");
		const a = account(r.key);
		if (!rate.allow(r.key, a.perSecond) || injected(a, r.path, (status) => status === 429)) {
			return stripeError(
				429,
				"invalid_request_error",
				"Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
				"rate_limit",
				{ "retry-after": "1" },
			);
		}
		const idem = r.method === "POST" ? r.headers["idempotency-key"] : undefined;
		if (idem) {
			const seen = a.idempotent.get(idem);
			if (seen && seen.text !== r.text) {
				return stripeError(
					400,
					"idempotency_error",
					`Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idem}' if you meant to execute a different request.`,
				);
			}
			if (seen) return { ...seen.answer, headers: { ...seen.answer.headers, "idempotent-replayed": "true" } };
		}
		const answer = execute(r, a);
		// Saved once the endpoint ran, errors included; parameter errors (400) are not.
		if (idem && answer.status !== 400) a.idempotent.set(idem, { text: r.text, answer });
		return answer;
	}

	return {
		handle,
		account,
		configure(body: Json) {
			const a = account(String(body.key));
			if (typeof body.perSecond === "number") a.perSecond = body.perSecond;
		},
		fail(body: Json) {
			account(String(body.key)).failures.set(String(body.path), {
				times: Number(body.times ?? 1),
				status: Number(body.status ?? 500),
			});
		},
		seedSession(key: string, session: Json) {
			const full = { ...checkoutSessionTemplate, ...session };
			account(key).sessions.set(String(full.id), full);
			return full;
		},
		/** Stripe objects as if made elsewhere; an id seeded again is replaced. */
		seed(key: string, body: Json): Answer {
			const customers = entries<CustomerSeed>(body.customers, ["id"]);
			const subscriptions = entries<SubscriptionSeed>(body.subscriptions, ["id", "customer", "status"]);
			const invoices = entries<InvoiceSeed>(body.invoices, ["id", "customer"]);
			const invoicePayments = entries<InvoicePaymentSeed>(body.invoicePayments, ["invoice", "payment_intent"]);
			if (!customers || !subscriptions || !invoices || !invoicePayments)
				return { status: 400, body: { error: "each seed list is an array of objects with their required ids" } };
			const a = account(key);
			const livemode = key.includes("_live_");
			const put = (into: Map<string, Json>, object: Json) => {
				into.set(String(object.id), object);
				return object;
			};
			const seeded: SeededStripe = {
				customers: customers.map((c) => put(a.customers, seededCustomer(c, livemode))),
				subscriptions: subscriptions.map((s) => put(a.subscriptions, seededSubscription(s, livemode))),
				// After the subscriptions: an invoice copies its subscription's metadata.
				invoices: invoices.map((i) => put(a.invoices, seededInvoice(i, a, livemode))),
				invoicePayments: invoicePayments.map((p) => put(a.invoicePayments, seededInvoicePayment(p, livemode))),
			};
			return { status: 200, body: seeded };
		},
		setPrices(key: string, add: Json[], remove: string[]) {
			const a = account(key);
			for (const p of add) a.prices.set(String(p.id), { ...priceTemplate, ...p });
			for (const gone of remove) a.prices.delete(gone);
		},
	};
}
