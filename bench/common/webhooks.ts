// A Stripe webhook delivery to a worker: the event kit's event, its exact bytes,
// and a Stripe-Signature made for this attempt with the benches' webhook secret.
import { signedEvent } from "../../src/stripe/event-kit.ts";
import type { LoadRequest } from "./http.ts";
import { WEBHOOK_SECRET } from "./knobs.ts";

/** Stripe signs each delivery attempt anew: `t` is the attempt's time, not the event's. */
export async function webhookRequest(event: unknown, t = Math.floor(Date.now() / 1000)): Promise<LoadRequest> {
	const { payload, signature } = await signedEvent(event, WEBHOOK_SECRET, t);
	return {
		method: "POST",
		path: "/api/webhook/stripe",
		headers: { "content-type": "application/json", "stripe-signature": signature },
		body: payload,
	};
}
