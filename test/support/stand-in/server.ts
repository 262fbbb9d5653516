// The one stand-in of the HTTP APIs we call but cannot reach offline: Stripe
// (stripe.ts), the mail provider (mail.ts), the operator's own app receiving
// our webhooks (app-receiver.ts) and the operator's chat receiving alerts
// (alert-receiver.ts), on loopback in Node, for the workerd
// tests (global setup), the browser tests and the benches. State is per API key,
// so users with their own key never see each other's. `/__control/*` steers it.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAlertReceiverStandIn } from "./alert-receiver.ts";
import { createAppReceiverStandIn } from "./app-receiver.ts";
import { createMailStandIn } from "./mail.ts";
import { createStripeStandIn } from "./stripe.ts";
import type { Answer, Json, RecordedRequest } from "./types.ts";

function readBody(req: IncomingMessage): Promise<string> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
		req.on("error", reject);
	});
}

/** `observe` sees every API request (not the control routes) with its answer: the bench counts calls with it. */
export function startStandIn(
	port = 0,
	observe?: (request: RecordedRequest, answer: Answer) => void,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
	const stripe = createStripeStandIn();
	const mail = createMailStandIn();
	const app = createAppReceiverStandIn();
	const alerts = createAlertReceiverStandIn();
	const requests: RecordedRequest[] = [];

	function control(r: RecordedRequest): Answer {
		const body = (r.json ?? {}) as Json;
		const key = String(body.key ?? r.query.key ?? "");
		const ok = { status: 200, body: { ok: true } };
		switch (r.path) {
			case "/__control/requests": {
				const contains = r.query.contains ?? "";
				const found = requests.filter(
					(x) => (!r.query.key || x.key === r.query.key) && (!contains || JSON.stringify(x).includes(contains)),
				);
				return { status: 200, body: found };
			}
			case "/__control/session": {
				const session = stripe.account(key).sessions.get(String(body.id));
				if (!session) return { status: 404, body: { error: "no such session" } };
				Object.assign(session, body.patch as Json);
				return { status: 200, body: session };
			}
			case "/__control/sessions": {
				// Sessions as if created elsewhere (a checkout whose webhook was lost), one or many.
				const list = Array.isArray(body.sessions) ? (body.sessions as Json[]) : [body.session as Json];
				return { status: 200, body: list.map((s) => stripe.seedSession(key, s)) };
			}
			case "/__control/seed":
				// Customers, subscriptions, invoices and invoice payments, for the reads that follow money back.
				return stripe.seed(key, body);
			case "/__control/webhook_endpoints":
				stripe.account(key).endpoints = (body.endpoints as Json[]) ?? [];
				return ok;
			case "/__control/prices":
				stripe.setPrices(key, (body.prices as Json[]) ?? [], (body.remove as string[]) ?? []);
				return ok;
			case "/__control/events": {
				// Events as Stripe keeps them (30 days), for GET /v1/events/:id.
				const event = body.event as Json;
				stripe.account(key).events.set(String(event.id), event);
				return ok;
			}
			case "/__control/fail":
				if (body.path === "/resend/emails") mail.configure({ key, fail: { times: body.times, status: body.status } });
				else stripe.fail(body);
				return ok;
			case "/__control/stripe":
				stripe.configure(body);
				return ok;
			case "/__control/mail":
				mail.configure(body);
				return ok;
			case "/__control/emails":
				return { status: 200, body: mail.emails(key) };
			case "/__control/app":
				app.configure(body);
				return ok;
			case "/__control/app-deliveries":
				return { status: 200, body: app.deliveries(String(body.name)) };
			case "/__control/alerts":
				alerts.configure(body);
				return ok;
			case "/__control/alert-messages":
				return { status: 200, body: alerts.messages(String(body.name)) };
			case "/__control/mail-calls":
				return { status: 200, body: { calls: mail.calls(key) } };
			default:
				return { status: 404, body: { error: "unknown control route" } };
		}
	}

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
		const form: Record<string, string> = {};
		if ((headers["content-type"] ?? "").includes("x-www-form-urlencoded")) {
			for (const [k, v] of new URLSearchParams(text)) form[k] = v;
		}
		const recorded: RecordedRequest = {
			method: req.method ?? "GET",
			path: url.pathname,
			query: Object.fromEntries(url.searchParams),
			pairs: [...url.searchParams],
			headers,
			form,
			json,
			text,
			key: auth.startsWith("Bearer ") ? auth.slice(7) : "",
			at: Date.now(),
		};
		let answer: Answer;
		if (url.pathname.startsWith("/__control/")) {
			answer = control(recorded);
		} else {
			requests.push(recorded);
			if (app.handles(recorded)) answer = await app.receive(recorded);
			else if (alerts.handles(recorded)) answer = alerts.receive(recorded);
			else answer = mail.handles(recorded) ? await mail.send(recorded) : stripe.handle(recorded);
			observe?.(recorded, answer);
		}
		if (res.destroyed) return;
		res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
		// A 204 has no body; a receiver's text answer is sent as it is.
		if (answer.status === 204) res.end();
		else res.end(typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body));
	});

	return new Promise((resolve) => {
		server.listen(port, "127.0.0.1", () => {
			const { port: actual } = server.address() as AddressInfo;
			const close = () =>
				new Promise<void>((done) => {
					server.closeAllConnections();
					server.close(() => done());
				});
			resolve({ server, url: `http://127.0.0.1:${actual}`, close });
		});
	});
}
