// The few Stripe REST calls we make, over fetch, typed with the stripe SDK's
// own types (`import type`: nothing of the SDK is bundled). The SDK would add
// ~86 KiB gzip and ~40 ms of start-up CPU to every cold webhook and status
// poll for five endpoints. STRIPE_API_BASE points it at a stand-in in tests.
import type Stripe from "stripe";
import { STRIPE_API_VERSION } from "./api-version";
import { encodeForm } from "./form";

export { encodeForm };

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
	/** Active prices holding these lookup keys (at most 10, Stripe's limit per request). */
	listPricesByLookupKeys(lookupKeys: string[]): Promise<Stripe.ApiList<Stripe.Price>>;
	/** Untrusted until `asEvent` checks it. */
	retrieveEvent(id: string): Promise<unknown>;
	/** The invoices a payment intent paid (a subscription's charge names no invoice of its own). */
	listInvoicePayments(paymentIntentId: string): Promise<Stripe.ApiList<Stripe.InvoicePayment>>;
	retrieveInvoice(id: string): Promise<Stripe.Invoice>;
	retrieveCustomer(id: string): Promise<Stripe.Customer | Stripe.DeletedCustomer>;
	retrieveSubscription(id: string): Promise<Stripe.Subscription>;
}

/** How `call` retries; the defaults follow stripe-node's backoff (0.5 s doubling, capped, with jitter). */
export interface RetryPolicy {
	retries: number;
	baseDelayMs: number;
	maxDelayMs: number;
	sleep: (ms: number) => Promise<unknown>;
}

export const DEFAULT_RETRY: RetryPolicy = {
	retries: 3,
	baseDelayMs: 250,
	maxDelayMs: 2_000,
	sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Worth another try: rate limited (429: Stripe checks rate limits before
 * idempotency, so the retry with the same key is still the same request), a
 * concurrent use of the idempotency key or a lock (409), Stripe's own errors
 * (5xx) and the network. `Stripe-Should-Retry` overrides, as in Stripe's SDKs.
 */
function shouldRetry(status: number, header: string | null): boolean {
	if (header === "true") return true;
	if (header === "false") return false;
	return status === 0 || status === 409 || status === 429 || status >= 500;
}

function backoffMs(attempt: number, policy: RetryPolicy, retryAfter: string | null): number {
	const hinted = Number(retryAfter);
	if (Number.isFinite(hinted) && hinted > 0 && hinted * 1000 <= policy.maxDelayMs) return hinted * 1000;
	const capped = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
	// Half fixed, half random: a burst of clients rejected together does not come back together.
	return capped / 2 + Math.random() * (capped / 2);
}

export function createStripeApi(
	key: string,
	base: string,
	fetcher: typeof fetch = fetch,
	retry: RetryPolicy = DEFAULT_RETRY,
): StripeApi {
	async function once(method: "GET" | "POST", url: string, headers: Record<string, string>, body?: string) {
		try {
			const response = await fetcher(url, { method, headers, body, signal: AbortSignal.timeout(10_000) });
			return { response, text: await response.text() };
		} catch (error) {
			return { error: `Stripe unreachable: ${(error as Error).name}` };
		}
	}

	/**
	 * GETs, and POSTs with an idempotency key (every POST here has one), are safe
	 * to send again; `retries` 0 for a caller that is itself retried soon.
	 */
	async function call<T>(
		method: "GET" | "POST",
		path: string,
		body?: string,
		idempotencyKey?: string,
		retries = retry.retries,
	): Promise<T> {
		const headers: Record<string, string> = {
			authorization: `Bearer ${key}`,
			"stripe-version": STRIPE_API_VERSION,
		};
		if (body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
		if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
		for (let attempt = 0; ; attempt++) {
			const result = await once(method, `${base}${path}`, headers, body);
			const status = result.response?.status ?? 0;
			if (result.response?.ok) return JSON.parse(result.text) as T;
			const retryable = shouldRetry(status, result.response?.headers.get("stripe-should-retry") ?? null);
			if (!retryable || attempt >= retries) throw toError(status, result.text, result.error);
			await retry.sleep(backoffMs(attempt, retry, result.response?.headers.get("retry-after") ?? null));
		}
	}

	return {
		createCheckoutSession: (params, idempotencyKey) =>
			call("POST", "/v1/checkout/sessions", encodeForm(params), idempotencyKey),
		// Asked from a status poll: the page's next poll is the retry, so this one answers at once.
		retrieveCheckoutSession: (id) =>
			call("GET", `/v1/checkout/sessions/${encodeURIComponent(id)}`, undefined, undefined, 0),
		listCheckoutSessions: ({ status, createdGte, limit, startingAfter }) =>
			call(
				"GET",
				`/v1/checkout/sessions?${encodeForm({ status, created: { gte: createdGte }, limit, starting_after: startingAfter })}`,
			),
		createBillingPortalSession: (params) =>
			call("POST", "/v1/billing_portal/sessions", encodeForm(params), `portal-${crypto.randomUUID()}`),
		listWebhookEndpoints: () => call("GET", "/v1/webhook_endpoints?limit=100"),
		retrievePrice: (id) => call("GET", `/v1/prices/${encodeURIComponent(id)}`),
		listPricesByLookupKeys: (lookupKeys) =>
			call("GET", `/v1/prices?${encodeForm({ lookup_keys: lookupKeys, active: true, limit: 100 })}`),
		retrieveEvent: (id) => call("GET", `/v1/events/${encodeURIComponent(id)}`),
		listInvoicePayments: (paymentIntentId) =>
			call(
				"GET",
				`/v1/invoice_payments?${encodeForm({ payment: { type: "payment_intent", payment_intent: paymentIntentId }, limit: 10 })}`,
			),
		retrieveInvoice: (id) => call("GET", `/v1/invoices/${encodeURIComponent(id)}`),
		retrieveCustomer: (id) => call("GET", `/v1/customers/${encodeURIComponent(id)}`),
		retrieveSubscription: (id) => call("GET", `/v1/subscriptions/${encodeURIComponent(id)}`),
	};
}

function toError(status: number, text: string | undefined, networkError: string | undefined): StripeApiError {
	if (status === 0) return new StripeApiError(0, "network_error", networkError ?? "Stripe unreachable");
	let code = status === 429 ? "rate_limited" : "stripe_error";
	let message = `Stripe answered ${status}`;
	try {
		const parsed = JSON.parse(text ?? "") as { error?: { code?: string; type?: string; message?: string } };
		code = parsed.error?.code ?? parsed.error?.type ?? code;
		if (parsed.error?.message) message = parsed.error.message;
	} catch {}
	return new StripeApiError(status, code, message);
}
