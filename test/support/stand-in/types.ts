// Shapes shared by the stand-in's parts.

export type Json = Record<string, unknown>;

export interface RecordedRequest {
	method: string;
	path: string;
	query: Record<string, string>;
	/** Every query pair in order: a repeated key (`lookup_keys[]`) keeps all its values. */
	pairs?: [string, string][];
	headers: Record<string, string>;
	form: Record<string, string>;
	json: unknown;
	/** The raw body, for comparing a replayed idempotent request with the first. */
	text: string;
	key: string;
	at: number;
}

export interface Answer {
	status: number;
	body: unknown;
	headers?: Record<string, string>;
}

/** Requests per second per key, over a sliding one-second window. */
export class RateWindow {
	private readonly hits = new Map<string, number[]>();

	/** Counts this request; false when it is over `perSecond`. */
	allow(key: string, perSecond: number, now = Date.now()): boolean {
		const recent = (this.hits.get(key) ?? []).filter((t) => t > now - 1000);
		if (recent.length >= perSecond) {
			this.hits.set(key, recent);
			return false;
		}
		recent.push(now);
		this.hits.set(key, recent);
		return true;
	}
}

/**
 * Stripe objects a test puts in an account, as Stripe would hold them after
 * the customer paid elsewhere (the Dashboard, a renewal, a refund). Seeding an
 * id again replaces the object: a test moves a subscription on by reseeding it.
 * `fields` overrides any other field of Stripe's shape, spelt as Stripe spells it.
 */
export interface StripeSeed {
	customers?: CustomerSeed[];
	subscriptions?: SubscriptionSeed[];
	invoices?: InvoiceSeed[];
	invoicePayments?: InvoicePaymentSeed[];
}

export interface CustomerSeed {
	id: string;
	email?: string | null;
	name?: string | null;
	metadata?: Record<string, string>;
	created?: number;
	/** Answered as Stripe answers a deleted customer: `{id, object: "customer", deleted: true}`. */
	deleted?: boolean;
	fields?: Json;
}

export interface SubscriptionSeed {
	id: string;
	customer: string;
	status: string;
	/** items.data[0].price.id; Stripe's template price when left out. */
	price?: string;
	created?: number;
	/** items.data[0].current_period_end; `created` + 30 days when left out. */
	current_period_end?: number;
	metadata?: Record<string, string>;
	trial_end?: number | null;
	fields?: Json;
}

export interface InvoiceSeed {
	id: string;
	customer: string;
	/** parent.subscription_details.subscription; null for an invoice outside any subscription. */
	subscription?: string | null;
	status?: string;
	created?: number;
	/** parent.subscription_details.metadata; the seeded subscription's metadata when left out. */
	metadata?: Record<string, string>;
	hosted_invoice_url?: string | null;
	billing_reason?: string;
	fields?: Json;
}

/** The link Stripe keeps from a payment intent to the invoice it paid. */
export interface InvoicePaymentSeed {
	invoice: string;
	payment_intent: string;
	/** `inpay_…`, made up when left out. */
	id?: string;
	amount_paid?: number;
	status?: string;
	created?: number;
	fields?: Json;
}

/** What a seed put in the account, each object in Stripe's shape. */
export interface SeededStripe {
	customers: Json[];
	subscriptions: Json[];
	invoices: Json[];
	invoicePayments: Json[];
}
