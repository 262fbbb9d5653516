// The few Stripe REST calls we make, over fetch, typed with the stripe SDK's
// own types (`import type`: nothing of the SDK is bundled). The SDK would add
// ~86 KiB gzip and ~40 ms of start-up CPU to every cold webhook and status
// poll for five endpoints. STRIPE_API_BASE points it at a stand-in in tests.
import type Stripe from "stripe";
import { STRIPE_API_VERSION } from "./api-version";

export class StripeApiError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
	) {
		super(message);
		this.name = "StripeApiError";
	}
}

type FormValue = string | number | boolean | null | undefined | FormValue[] | { [key: string]: FormValue };

/** Stripe's form encoding: nested keys as a[b][0][c]=v. */
export function encodeForm(params: Record<string, FormValue>): string {
	const pairs: string[] = [];
	const walk = (prefix: string, value: FormValue) => {
		if (value === undefined || value === null) return;
		if (Array.isArray(value)) {
			for (const [i, v] of value.entries()) walk(`${prefix}[${i}]`, v);
		} else if (typeof value === "object") {
			for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}[${k}]` : k, v);
		} else {
			pairs.push(`${encodeURIComponent(prefix)}=${encodeURIComponent(String(value))}`);
		}
	};
	walk("", params);
	return pairs.join("&");
}

export interface StripeApi {
	createCheckoutSession(
		params: Stripe.Checkout.SessionCreateParams,
		idempotencyKey: string,
	): Promise<Stripe.Checkout.Session>;
	retrieveCheckoutSession(id: string): Promise<Stripe.Checkout.Session>;
	listCheckoutSessions(params: {
		status: "complete";
		createdGte: number;
		limit: number;
		startingAfter?: string;
	}): Promise<Stripe.ApiList<Stripe.Checkout.Session>>;
	createBillingPortalSession(params: Stripe.BillingPortal.SessionCreateParams): Promise<Stripe.BillingPortal.Session>;
	listWebhookEndpoints(): Promise<Stripe.ApiList<Stripe.WebhookEndpoint>>;
	retrievePrice(id: string): Promise<Stripe.Price>;
	retrieveEvent(id: string): Promise<Stripe.Event>;
}

export function createStripeApi(key: string, base: string, fetcher: typeof fetch = fetch): StripeApi {
	async function call<T>(method: "GET" | "POST", path: string, body?: string, idempotencyKey?: string): Promise<T> {
		const headers: Record<string, string> = {
			authorization: `Bearer ${key}`,
			"stripe-version": STRIPE_API_VERSION,
		};
		if (body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
		if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
		let response: Response;
		try {
			response = await fetcher(`${base}${path}`, { method, headers, body, signal: AbortSignal.timeout(10_000) });
		} catch (error) {
			throw new StripeApiError(0, "network_error", `Stripe unreachable: ${(error as Error).message}`);
		}
		const text = await response.text();
		if (!response.ok) {
			let code = "stripe_error";
			let message = `Stripe answered ${response.status}`;
			try {
				const parsed = JSON.parse(text) as { error?: { code?: string; type?: string; message?: string } };
				code = parsed.error?.code ?? parsed.error?.type ?? code;
				if (parsed.error?.message) message = parsed.error.message;
			} catch {}
			throw new StripeApiError(response.status, code, message);
		}
		return JSON.parse(text) as T;
	}

	return {
		createCheckoutSession: (params, idempotencyKey) =>
			call("POST", "/v1/checkout/sessions", encodeForm(params as Record<string, FormValue>), idempotencyKey),
		retrieveCheckoutSession: (id) => call("GET", `/v1/checkout/sessions/${encodeURIComponent(id)}`),
		listCheckoutSessions: ({ status, createdGte, limit, startingAfter }) =>
			call(
				"GET",
				`/v1/checkout/sessions?${encodeForm({ status, created: { gte: createdGte }, limit, starting_after: startingAfter })}`,
			),
		createBillingPortalSession: (params) =>
			call("POST", "/v1/billing_portal/sessions", encodeForm(params as Record<string, FormValue>)),
		listWebhookEndpoints: () => call("GET", "/v1/webhook_endpoints?limit=100"),
		retrievePrice: (id) => call("GET", `/v1/prices/${encodeURIComponent(id)}`),
		retrieveEvent: (id) => call("GET", `/v1/events/${encodeURIComponent(id)}`),
	};
}
