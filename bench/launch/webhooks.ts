// Webhooks as Stripe sends them on launch day: real-shaped events built from
// the session Stripe holds, signed per attempt, retried on any non-2xx with
// backoff, and sometimes duplicated, late, or preceded by the subscription event.
// https://docs.stripe.com/webhooks#retries, /webhooks#handle-duplicate-events, /webhooks#event-ordering
import type http from "node:http";
import { type StripeEvent, stripeEvent, subscription } from "../../src/stripe/event-kit.ts";
import { httpRequest } from "../common/http.ts";
import { sleep } from "../common/procs.ts";
import { webhookRequest } from "../common/webhooks.ts";

/** What happens to one customer's events on the way (drawn once per customer). */
export interface DeliveryPlan {
	/** The checkout event is delivered twice (Stripe: "may occasionally send the same event more than once"). */
	duplicate: boolean;
	/** The checkout event's first attempt comes this late (ms); 0 for most. */
	lateMs: number;
	/** customer.subscription.created arrives before checkout.session.completed. */
	subscriptionFirst: boolean;
}

/** ~5 % duplicated, ~3 % 2–6 s late, ~4 % with the subscription event first. */
export function planDelivery(random: () => number): DeliveryPlan {
	return {
		duplicate: random() < 0.05,
		lateMs: random() < 0.03 ? 2000 + random() * 4000 : 0,
		subscriptionFirst: random() < 0.04,
	};
}

export type Session = Record<string, unknown> & {
	id: string;
	customer: string;
	subscription: string;
	metadata: Record<string, string>;
};

export function checkoutCompleted(session: Session, created: number) {
	return stripeEvent("checkout.session.completed", session, { created });
}

/** The subscription Checkout created, carrying the metadata the worker gave `subscription_data`. */
export function subscriptionCreated(session: Session, created: number) {
	const object = subscription({
		id: session.subscription,
		customer: session.customer,
		status: "active",
		created,
		metadata: session.metadata,
	});
	return stripeEvent("customer.subscription.created", object, { created });
}

export interface Attempt {
	at: number;
	status: number;
	ms: number;
}

export interface Delivery {
	type: string;
	eventId: string;
	attempts: Attempt[];
	/** Epoch ms of the first 2xx, if any. */
	acceptedAt?: number;
}

/** Stripe retries for days with growing gaps; the bench compresses the schedule into seconds. */
const RETRY_GAPS_MS = [1000, 2000, 4000, 8000, 16_000];

/**
 * Delivers `event` to the worker at `dueAt` (epoch ms), signing each attempt
 * with its own timestamp, and retries on a non-2xx or a network error until
 * accepted, the gaps are used up, or `deadline` passes.
 */
export async function deliver(
	origin: string,
	agent: http.Agent,
	event: StripeEvent,
	dueAt: number,
	deadline: number,
	onAnswer: (status: number) => void,
): Promise<Delivery> {
	const delivery: Delivery = { type: event.type, eventId: event.id, attempts: [] };
	await sleep(Math.max(0, dueAt - Date.now()));
	for (let attempt = 0; ; attempt++) {
		const at = Date.now();
		let status = 0;
		let ms = 0;
		try {
			const res = await httpRequest(origin, await webhookRequest(event), agent, 10_000);
			status = res.status;
			ms = res.ms;
		} catch {
			// A timeout or reset is a failed delivery to Stripe, retried like a 5xx.
		}
		onAnswer(status);
		delivery.attempts.push({ at, status, ms });
		if (status >= 200 && status < 300) {
			delivery.acceptedAt = at;
			return delivery;
		}
		const gap = RETRY_GAPS_MS[attempt];
		if (gap === undefined || Date.now() + gap > deadline) return delivery;
		await sleep(gap);
	}
}
