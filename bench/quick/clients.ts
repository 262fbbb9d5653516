// Simulated customers: each one's own address, its checkout through
// POST /api/checkout, its status poll and its Stripe-signed webhook.
import { randomBytes } from "node:crypto";
import { paidCheckoutSession, stripeEvent } from "../../src/stripe/event-kit.ts";
import { clientIp } from "../common/addresses.ts";
import type { DevServer } from "../common/dev-servers.ts";
import type { LoadRequest } from "../common/http.ts";
import { CONCURRENCY } from "../common/knobs.ts";
import { webhookRequest } from "../common/webhooks.ts";
import { failOn, runLoad } from "./load.ts";

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

/** A checkout.session.completed for the client, signed as Stripe signs it. */
export function signedWebhook(client: ClientInfo): Promise<LoadRequest> {
	const now = Math.floor(Date.now() / 1000);
	const session = paidCheckoutSession(
		{ clientId: client.clientId, crn: client.crn, planCode: "starter", sessionId: client.sessionId },
		now,
	);
	return webhookRequest(stripeEvent("checkout.session.completed", session, { created: now }), now);
}
