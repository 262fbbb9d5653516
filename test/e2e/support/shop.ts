// Buying through the running worker as a browser would, without the browser:
// a checkout through the API, the development checkout stand-in's "Pay", and
// Stripe events signed with the development webhook secret, posted to the real
// webhook route exactly as Stripe would post them.
import Stripe from "stripe";
import { DEV_WEBHOOK_SECRET } from "../../../src/dev-defaults";
import { STRIPE_API_VERSION } from "../../../src/stripe/api-version";

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

/** Posts a Stripe event about `checkout`'s client, signed as Stripe signs it. */
export async function sendStripeEvent(
	baseUrl: string,
	type: string,
	object: Record<string, unknown>,
): Promise<Response> {
	seq++;
	const payload = JSON.stringify(
		{
			id: `evt_e2e_${Date.now().toString(36)}${seq}`,
			object: "event",
			api_version: STRIPE_API_VERSION,
			created: Math.floor(Date.now() / 1000) + seq,
			livemode: false,
			pending_webhooks: 1,
			request: { id: null, idempotency_key: null },
			type,
			data: { object },
		},
		null,
		2,
	);
	const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: DEV_WEBHOOK_SECRET });
	return fetch(`${baseUrl}/api/webhook/stripe`, {
		method: "POST",
		headers: { "content-type": "application/json", "stripe-signature": signature },
		body: payload,
	});
}

/** The development stand-in names the subscription after the client, as the dev checkout does. */
export function devSubscription(checkout: Pick<Checkout, "clientId">, status: string) {
	const short = checkout.clientId.replace(/-/g, "").slice(0, 14);
	return {
		id: `sub_dev_${short}`,
		object: "subscription",
		customer: `cus_dev_${short}`,
		status,
		metadata: { client_id: checkout.clientId },
		livemode: false,
	};
}
