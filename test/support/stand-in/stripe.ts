// Stripe's REST API as far as we call it (checkout sessions, billing portal,
// prices, events, webhook endpoints), unkind where Stripe is: past the account's
// rate it answers 429 with Retry-After (checked before idempotency, so a 429 is
// never saved against the key); an Idempotency-Key replays the first answer, 500s included,
// and the same key with other parameters is a 400 idempotency_error.
// https://docs.stripe.com/rate-limits, https://docs.stripe.com/idempotency
import billingPortalTemplate from "../../fixtures/stripe/billing_portal.session.json" with { type: "json" };
import checkoutSessionTemplate from "../../fixtures/stripe/checkout.session.json" with { type: "json" };
import priceTemplate from "../../fixtures/stripe/price.json" with { type: "json" };
import { type Answer, type Json, RateWindow, type RecordedRequest } from "./types.ts";

interface StripeAccount {
	sessions: Map<string, Json>;
	/** Idempotency key → the first request's body and its answer. */
	idempotent: Map<string, { text: string; answer: Answer }>;
	prices: Map<string, Json>;
	endpoints: Json[];
	/** Path prefix → how many of the next requests fail, and with which status. */
	failures: Map<string, { times: number; status: number }>;
	events: Map<string, Json>;
	perSecond: number;
}

function stripeError(
	status: number,
	type: string,
	message: string,
	code?: string,
	headers?: Record<string, string>,
): Answer {
	return { status, body: { error: { type, code, message } }, headers };
}

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

export function createStripeStandIn() {
	const accounts = new Map<string, StripeAccount>();
	const rate = new RateWindow();
	const account = (key: string) => {
		let a = accounts.get(key);
		if (!a) {
			const prices = new Map<string, Json>();
			for (const pid of ["price_starter_monthly", "price_pro_monthly"]) prices.set(pid, { ...priceTemplate, id: pid });
			a = {
				sessions: new Map(),
				idempotent: new Map(),
				prices,
				endpoints: [],
				failures: new Map(),
				events: new Map(),
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
		if (path === "/v1/checkout/sessions" && method === "POST") {
			const f = r.form;
			if (f.mode !== "subscription")
				return stripeError(400, "invalid_request_error", "mode must be subscription", "parameter_invalid");
			const price = f["line_items[0][price]"];
			if (!price || !a.prices.has(price))
				return stripeError(400, "invalid_request_error", `No such price: '${price}'`, "resource_missing");
			const sessionId = `cs_${livemode ? "live" : "test"}_${id("")}`;
			const created = Math.floor(Date.now() / 1000);
			const session: Json = {
				...checkoutSessionTemplate,
				id: sessionId,
				created,
				expires_at: created + 86400,
				livemode,
				mode: "subscription",
				client_reference_id: f.client_reference_id ?? null,
				customer_email: f.customer_email ?? null,
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
		if (path === "/v1/webhook_endpoints" && method === "GET") {
			return {
				status: 200,
				body: { object: "list", url: "/v1/webhook_endpoints", has_more: false, data: a.endpoints },
			};
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
		setPrices(key: string, add: Json[], remove: string[]) {
			const a = account(key);
			for (const p of add) a.prices.set(String(p.id), { ...priceTemplate, ...p });
			for (const gone of remove) a.prices.delete(gone);
		},
	};
}
