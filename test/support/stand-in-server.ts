// A stand-in of the HTTP APIs we call but cannot reach in tests: Stripe
// (checkout sessions, billing portal, prices, webhook endpoints) and the mail
// provider (Resend's POST /emails). Runs in Node, started by global setup.
// State is namespaced by the API key presented, so test files that use their
// own key never see each other's sessions. `/__control/*` lets tests steer it.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import billingPortalTemplate from "../fixtures/stripe/billing_portal.session.json" with { type: "json" };
import checkoutSessionTemplate from "../fixtures/stripe/checkout.session.json" with { type: "json" };
import priceTemplate from "../fixtures/stripe/price.json" with { type: "json" };

type Json = Record<string, unknown>;

export interface RecordedRequest {
	method: string;
	path: string;
	query: Record<string, string>;
	headers: Record<string, string>;
	form: Record<string, string>;
	json: unknown;
	key: string;
	at: number;
}

interface Namespace {
	sessions: Map<string, Json>;
	idempotent: Map<string, Json>;
	prices: Map<string, Json>;
	endpoints: Json[];
	/** Path prefix → number of next requests to fail with 500. */
	failures: Map<string, number>;
	emails: Map<string, Json>;
	events: Map<string, Json>;
}

function newNamespace(): Namespace {
	const prices = new Map<string, Json>();
	for (const id of ["price_starter_monthly", "price_pro_monthly"]) prices.set(id, { ...priceTemplate, id });
	return {
		sessions: new Map(),
		idempotent: new Map(),
		prices,
		endpoints: [],
		failures: new Map(),
		emails: new Map(),
		events: new Map(),
	};
}

let counter = 0;
function id(prefix: string): string {
	counter++;
	return `${prefix}${Date.now().toString(36)}${counter.toString(36)}${Math.random().toString(36).slice(2, 10)}`;
}

/** Stripe's form encoding back to flat keys: {"metadata[client_id]": "…"}. */
function parseForm(body: string): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [k, v] of new URLSearchParams(body)) out[k] = v;
	return out;
}

function nested(form: Record<string, string>, prefix: string): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [k, v] of Object.entries(form)) {
		const m = k.match(new RegExp(`^${prefix.replace(/[[\]]/g, "\\$&")}\\[([^\\]]+)\\]$`));
		if (m?.[1]) out[m[1]] = v;
	}
	return out;
}

function readBody(req: IncomingMessage): Promise<string> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
		req.on("error", reject);
	});
}

function stripeError(status: number, type: string, message: string, code?: string) {
	return { status, body: { error: { type, code, message } } };
}

export function startStandIn(port = 0): Promise<{ server: Server; url: string }> {
	const namespaces = new Map<string, Namespace>();
	const requests: RecordedRequest[] = [];
	const ns = (key: string) => {
		let n = namespaces.get(key);
		if (!n) {
			n = newNamespace();
			namespaces.set(key, n);
		}
		return n;
	};

	const route = (r: RecordedRequest): { status: number; body: unknown } => {
		const { method, path } = r;

		// ---- control ----
		if (path.startsWith("/__control/")) {
			const body = (r.json ?? {}) as Json;
			const key = String(body.key ?? r.query.key ?? "");
			if (path === "/__control/requests") {
				const contains = r.query.contains ?? "";
				return {
					status: 200,
					body: requests.filter(
						(x) => (!r.query.key || x.key === r.query.key) && (!contains || JSON.stringify(x).includes(contains)),
					),
				};
			}
			if (path === "/__control/session" && method === "POST") {
				const n = ns(key);
				const session = n.sessions.get(String(body.id));
				if (!session) return { status: 404, body: { error: "no such session" } };
				Object.assign(session, body.patch as Json);
				return { status: 200, body: session };
			}
			if (path === "/__control/sessions" && method === "POST") {
				// Seed a session as if created elsewhere (a checkout whose webhook was lost).
				const session = { ...checkoutSessionTemplate, ...(body.session as Json) };
				ns(key).sessions.set(String(session.id), session);
				return { status: 200, body: session };
			}
			if (path === "/__control/webhook_endpoints" && method === "POST") {
				ns(key).endpoints = (body.endpoints as Json[]) ?? [];
				return { status: 200, body: { ok: true } };
			}
			if (path === "/__control/prices" && method === "POST") {
				const n = ns(key);
				for (const p of (body.prices as Json[]) ?? []) n.prices.set(String(p.id), { ...priceTemplate, ...p });
				for (const gone of (body.remove as string[]) ?? []) n.prices.delete(gone);
				return { status: 200, body: { ok: true } };
			}
			if (path === "/__control/fail" && method === "POST") {
				ns(key).failures.set(String(body.path), Number(body.times ?? 1));
				return { status: 200, body: { ok: true } };
			}
			if (path === "/__control/events" && method === "POST") {
				// Events as Stripe keeps them (30 days), for GET /v1/events/:id.
				const event = body.event as Json;
				ns(key).events.set(String(event.id), event);
				return { status: 200, body: { ok: true } };
			}
			if (path === "/__control/emails") {
				return { status: 200, body: [...ns(key).emails.values()] };
			}
			return { status: 404, body: { error: "unknown control route" } };
		}

		// ---- mail provider (Resend) ----
		if (path === "/resend/emails" && method === "POST") {
			if (!r.key.startsWith("re_"))
				return { status: 401, body: { name: "validation_error", message: "API key is invalid" } };
			const n = ns(r.key);
			const failing = n.failures.get("/resend/emails") ?? 0;
			if (failing > 0) {
				n.failures.set("/resend/emails", failing - 1);
				return { status: 500, body: { name: "internal_server_error", message: "stand-in failure" } };
			}
			const idem = r.headers["idempotency-key"] ?? id("idem_");
			const existing = n.emails.get(idem);
			if (existing) return { status: 200, body: { id: existing.id } };
			const email = { id: id("email_"), ...(r.json as Json), idempotency_key: idem };
			n.emails.set(idem, email);
			return { status: 200, body: { id: email.id } };
		}

		// ---- Stripe ----
		if (!/^(sk|rk)_(test|live)_/.test(r.key)) {
			return stripeError(401, "invalid_request_error", "Invalid API Key provided");
		}
		const n = ns(r.key);
		for (const [prefix, times] of n.failures) {
			if (times > 0 && path.startsWith(prefix)) {
				n.failures.set(prefix, times - 1);
				return stripeError(500, "api_error", "stand-in failure");
			}
		}
		const livemode = r.key.includes("_live_");

		if (path === "/v1/checkout/sessions" && method === "POST") {
			const idem = r.headers["idempotency-key"];
			if (idem && n.idempotent.has(idem)) return { status: 200, body: n.idempotent.get(idem) };
			const f = r.form;
			if (f.mode !== "subscription")
				return stripeError(400, "invalid_request_error", "mode must be subscription", "parameter_invalid");
			const price = f["line_items[0][price]"];
			if (!price || !n.prices.has(price))
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
			n.sessions.set(sessionId, session);
			if (idem) n.idempotent.set(idem, session);
			return { status: 200, body: session };
		}
		const one = path.match(/^\/v1\/checkout\/sessions\/([^/]+)$/);
		if (one && method === "GET") {
			const session = n.sessions.get(decodeURIComponent(one[1] ?? ""));
			return session
				? { status: 200, body: session }
				: stripeError(404, "invalid_request_error", "No such checkout.session", "resource_missing");
		}
		if (path === "/v1/checkout/sessions" && method === "GET") {
			const gte = Number(r.query["created[gte]"] ?? 0);
			const limit = Math.min(100, Number(r.query.limit ?? 10));
			let data = [...n.sessions.values()]
				.filter((s) => (!r.query.status || s.status === r.query.status) && Number(s.created) >= gte)
				.sort((a, b) => Number(b.created) - Number(a.created));
			const after = r.query.starting_after;
			if (after) data = data.slice(data.findIndex((s) => s.id === after) + 1);
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
			const p = n.prices.get(decodeURIComponent(price[1] ?? ""));
			return p
				? { status: 200, body: { ...p, livemode } }
				: stripeError(404, "invalid_request_error", "No such price", "resource_missing");
		}
		const event = path.match(/^\/v1\/events\/([^/]+)$/);
		if (event && method === "GET") {
			const e = n.events.get(decodeURIComponent(event[1] ?? ""));
			return e
				? { status: 200, body: e }
				: stripeError(404, "invalid_request_error", "No such event", "resource_missing");
		}
		if (path === "/v1/webhook_endpoints" && method === "GET") {
			return {
				status: 200,
				body: { object: "list", url: "/v1/webhook_endpoints", has_more: false, data: n.endpoints },
			};
		}
		return stripeError(404, "invalid_request_error", `Unrecognized request URL (${method}: ${path})`);
	};

	const server = createServer(async (req, res) => {
		const url = new URL(req.url ?? "/", "http://stand-in");
		const text = await readBody(req);
		const headers: Record<string, string> = {};
		for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
		const auth = headers.authorization ?? "";
		let json: unknown = null;
		if ((headers["content-type"] ?? "").includes("json") && text) {
			try {
				json = JSON.parse(text);
			} catch {}
		}
		const recorded: RecordedRequest = {
			method: req.method ?? "GET",
			path: url.pathname,
			query: Object.fromEntries(url.searchParams),
			headers,
			form: (headers["content-type"] ?? "").includes("x-www-form-urlencoded") ? parseForm(text) : {},
			json,
			key: auth.startsWith("Bearer ") ? auth.slice(7) : "",
			at: Date.now(),
		};
		if (!url.pathname.startsWith("/__control/")) requests.push(recorded);
		const { status, body } = route(recorded);
		res.writeHead(status, { "content-type": "application/json" });
		res.end(JSON.stringify(body));
	});

	return new Promise((resolve) => {
		server.listen(port, "127.0.0.1", () => {
			const { port: actual } = server.address() as AddressInfo;
			resolve({ server, url: `http://127.0.0.1:${actual}` });
		});
	});
}
