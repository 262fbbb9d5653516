// Buying through the running worker as a browser would, without the browser:
// a checkout through the API, the development checkout stand-in's "Pay", and
// Stripe events signed with the development webhook secret, posted to the real
// webhook route exactly as Stripe would post them.
import { DEV_WEBHOOK_SECRET } from "../../../src/dev-defaults";
import { devSubscription, type StripeObject, signedEvent, stripeEvent } from "../../../src/stripe/event-kit";

export interface Checkout {
	clientId: string;
	crn: string;
	checkoutUrl: string;
	session: string;
	/** The onboarding page Checkout returns to. */
	success: string;
}

export async function apiCheckout(
	baseUrl: string,
	email: string,
	{ name = "Grace Hopper", plan = "pro" }: { name?: string; plan?: string } = {},
): Promise<Checkout> {
	const response = await fetch(`${baseUrl}/api/checkout`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ email, name, plan_code: plan }),
	});
	if (!response.ok) throw new Error(`checkout answered ${response.status}: ${await response.text()}`);
	const body = (await response.json()) as { checkout_url: string; crn: string; client_id: string };
	const url = new URL(body.checkout_url);
	return {
		clientId: body.client_id,
		crn: body.crn,
		checkoutUrl: body.checkout_url,
		session: url.searchParams.get("session") ?? "",
		success: url.searchParams.get("success") ?? "",
	};
}

/** The stand-in's "Pay": a signed checkout.session.completed (and subscription.created) through the real route. */
export async function pay(baseUrl: string, checkout: Pick<Checkout, "session" | "success">): Promise<void> {
	const response = await fetch(`${baseUrl}/api/dev/checkout/${checkout.session}/pay`, {
		method: "POST",
		headers: { "content-type": "application/json", origin: baseUrl },
		body: JSON.stringify({ success_url: checkout.success }),
	});
	if (!response.ok) throw new Error(`dev pay answered ${response.status}`);
}

let seq = 0;

/** Posts a Stripe event about `object`, signed as Stripe signs it, through the real webhook route. */
export async function sendStripeEvent(baseUrl: string, type: string, object: StripeObject): Promise<Response> {
	seq++;
	const now = Math.floor(Date.now() / 1000);
	// A second apart each: the worker orders subscription events by `created`.
	const event = stripeEvent(type, object, { created: now + seq });
	const { payload, signature } = await signedEvent(event, DEV_WEBHOOK_SECRET, now);
	return fetch(`${baseUrl}/api/webhook/stripe`, {
		method: "POST",
		headers: { "content-type": "application/json", "stripe-signature": signature },
		body: payload,
	});
}

/** The subscription the development checkout made for `checkout`'s client, now in `status`. */
export function devSubscriptionOf(checkout: Pick<Checkout, "clientId">, status: string) {
	return devSubscription(checkout.clientId, status, Math.floor(Date.now() / 1000), { client_id: checkout.clientId });
}
