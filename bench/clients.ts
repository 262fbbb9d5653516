// Simulated customers: each one's own address, its checkout through
// POST /api/checkout, its status poll and its Stripe-signed webhook.
import { createHmac, randomBytes } from "node:crypto";
import { STRIPE_API_VERSION } from "../src/stripe/api-version.ts";
import { type DevServer, failOn } from "./dev-servers.ts";
import { CONCURRENCY, WEBHOOK_SECRET } from "./knobs.ts";
import { runLoad } from "./load.ts";

/**
 * Each simulated customer comes from its own address, as real ones do: the
 * worker rate-limits checkout and status polls per CF-Connecting-IP, which
 * miniflare passes through when the client sets it, and counts an IPv6 client
 * by its /64, so each customer gets a /64 of its own. Only a header value
 * (2001:db8::/32, the documentation prefix); all traffic stays on loopback.
 */
export function clientIp(index: number): string {
	const n = index + 1;
	return `2001:db8:${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}::1`;
}

/** A status poll as the customer's own browser sends it. */
export function statusPoll(client: ClientInfo) {
	return { method: "GET" as const, path: client.statusPath, headers: { "cf-connecting-ip": client.ip } };
}

export interface ClientInfo {
	ip: string;
	clientId: string;
	crn: string;
	statusPath: string;
	sessionId: string;
	index: number;
}

let clientSeq = 0;
const runTag = randomBytes(3).toString("hex");

export async function createClients(server: DevServer, count: number): Promise<ClientInfo[]> {
	const first = clientSeq;
	clientSeq += count;
	const result = await runLoad({
		origin: server.origin,
		count,
		concurrency: CONCURRENCY,
		keepBodies: true,
		deadlineMs: 90_000,
		request: (i) => ({
			method: "POST",
			path: "/api/checkout",
			headers: { "content-type": "application/json", "cf-connecting-ip": clientIp(first + i) },
			body: JSON.stringify({
				email: `bench+${runTag}-${first + i}@example.com`,
				name: `Bench ${first + i}`,
				plan_code: "starter",
			}),
		}),
	});
	failOn("POST /api/checkout", result, server);
	return (result.bodies as string[]).map((body, i) => {
		const j = JSON.parse(body) as { client_id: string; crn: string; status_url: string; checkout_url: string };
		const status = new URL(j.status_url);
		return {
			clientId: j.client_id,
			crn: j.crn,
			ip: clientIp(first + i),
			statusPath: status.pathname + status.search,
			sessionId: j.checkout_url.split("/").pop() as string,
			index: first + i,
		};
	});
}

/** A checkout.session.completed event for the client, signed like Stripe signs it. */
export function signedWebhook(client: ClientInfo) {
	const now = Math.floor(Date.now() / 1000);
	const event = {
		id: `evt_bench_${runTag}_${client.index}_${randomBytes(6).toString("hex")}`,
		object: "event",
		api_version: STRIPE_API_VERSION,
		created: now,
		livemode: false,
		pending_webhooks: 1,
		request: { id: null, idempotency_key: null },
		type: "checkout.session.completed",
		data: {
			object: {
				id: client.sessionId,
				object: "checkout.session",
				client_reference_id: client.clientId,
				metadata: { client_id: client.clientId, plan_code: "starter", customer_reference: client.crn },
				mode: "subscription",
				payment_status: "paid",
				status: "complete",
				customer: `cus_x${client.index}`,
				subscription: `sub_x${client.index}`,
				livemode: false,
				created: now,
			},
		},
	};
	return signedEvent(event, now);
}

/**
 * A webhook request for `event`, signed as Stripe signs each delivery attempt:
 * `Stripe-Signature: t=<unix seconds>,v1=<HMAC-SHA256 of "t.body">`, pretty-printed body.
 */
export function signedEvent(event: object, t = Math.floor(Date.now() / 1000)) {
	const body = JSON.stringify(event, null, 2);
	const v1 = createHmac("sha256", WEBHOOK_SECRET).update(`${t}.${body}`).digest("hex");
	return {
		method: "POST" as const,
		path: "/api/webhook/stripe",
		headers: { "content-type": "application/json", "stripe-signature": `t=${t},v1=${v1}` },
		body,
	};
}
