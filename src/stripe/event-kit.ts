// Stripe events as Stripe sends them, for whatever plays Stripe here: the dev
// checkout's "Pay", the tests and the benches. Object shapes follow Stripe's API
// fixtures at STRIPE_API_VERSION; signing is Stripe's scheme, with Web Crypto.
import { STRIPE_API_VERSION } from "./api-version.ts";
import { signStripePayload } from "./signature.ts";

export type StripeObject = Record<string, unknown>;

// Base objects: Stripe's OpenAPI fixtures (stripe/openapi fixtures3.json) for a
// 29 USD/month subscription. Every field stays, so a reader of an event built
// here meets the shape a real delivery has; builders replace ids, times and state.
const CHECKOUT_SESSION = {
	allow_promotion_codes: null,
	amount_subtotal: 2900,
	amount_total: 2900,
	automatic_tax: {
		enabled: false,
		liability: null,
		status: null,
		provider: null,
	},
	billing_address_collection: null,
	cancel_url: null,
	client_reference_id: null,
	client_secret: null,
	consent: null,
	created: 1234567890,
	currency: "usd",
	custom_fields: [],
	customer: null,
	customer_creation: null,
	customer_details: null,
	customer_email: null,
	expires_at: 1234567890,
	id: "cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY",
	invoice: null,
	invoice_creation: null,
	livemode: false,
	locale: null,
	metadata: {},
	mode: "subscription",
	object: "checkout.session",
	payment_intent: null,
	payment_link: null,
	payment_method_collection: "always",
	payment_method_options: {},
	payment_method_types: ["card"],
	payment_status: "unpaid",
	phone_number_collection: {
		enabled: false,
	},
	recovered_from: null,
	setup_intent: null,
	shipping_options: [],
	status: "open",
	submit_type: null,
	subscription: null,
	success_url: "https://example.com/success",
	total_details: {
		amount_discount: 0,
		amount_shipping: 0,
		amount_tax: 0,
	},
	ui_mode: "hosted",
	url: "https://checkout.stripe.com/pay/c/cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY",
	discounts: [],
	customer_account: null,
};

const SUBSCRIPTION = {
	application: null,
	application_fee_percent: null,
	automatic_tax: {
		enabled: false,
		liability: null,
		disabled_reason: null,
	},
	billing_cycle_anchor: 1234567890,
	cancel_at: null,
	canceled_at: null,
	cancellation_details: {
		comment: null,
		feedback: null,
		reason: null,
	},
	collection_method: "charge_automatically",
	created: 1234567890,
	currency: "usd",
	customer: "cus_QXg1o8vcGmoR32",
	days_until_due: null,
	default_payment_method: null,
	default_source: null,
	default_tax_rates: [],
	description: null,
	discounts: [],
	ended_at: null,
	id: "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw",
	invoice_settings: {
		account_tax_ids: null,
		issuer: {
			type: "self",
		},
		custom_fields: null,
		description: null,
		footer: null,
	},
	items: {
		data: [
			{
				created: 1721954054,
				discounts: [],
				id: "si_QXhVnC2h0Jczwc",
				metadata: {},
				object: "subscription_item",
				price: {
					active: true,
					billing_scheme: "per_unit",
					created: 1721948530,
					currency: "usd",
					custom_unit_amount: {
						maximum: null,
						minimum: null,
						preset: null,
					},
					id: "price_1PgafmB7WZ01zgkW6dKueIc5",
					livemode: false,
					lookup_key: null,
					metadata: {},
					nickname: null,
					object: "price",
					product: "prod_QXg1hqf4jFNsqG",
					recurring: {
						interval: "month",
						interval_count: 1,
						meter: null,
						usage_type: "licensed",
						trial_period_days: null,
					},
					tax_behavior: "unspecified",
					tiers_mode: null,
					transform_quantity: null,
					type: "recurring",
					unit_amount: 2900,
					unit_amount_decimal: "2900",
				},
				quantity: 1,
				subscription: "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw",
				tax_rates: [],
				current_period_end: 976287773,
				current_period_start: 1896570518,
			},
		],
		has_more: false,
		object: "list",
		url: "/v1/subscription_items?subscription=sub_1Pgc6rB7WZ01zgkWNy0Cn5nw",
	},
	latest_invoice: null,
	livemode: false,
	metadata: {},
	object: "subscription",
	on_behalf_of: null,
	pause_collection: null,
	payment_settings: {
		payment_method_options: null,
		payment_method_types: null,
		save_default_payment_method: "off",
	},
	pending_setup_intent: null,
	schedule: null,
	start_date: 1234567890,
	status: "active",
	test_clock: null,
	trial_end: null,
	trial_settings: {
		end_behavior: {
			missing_payment_method: "create_invoice",
		},
	},
	trial_start: null,
	cancel_at_period_end: false,
	billing_mode: {
		type: "classic",
	},
	customer_account: null,
};

const INVOICE = {
	account_country: "US",
	account_name: null,
	account_tax_ids: null,
	amount_due: 2900,
	amount_paid: 2900,
	amount_remaining: 0,
	amount_shipping: 0,
	application: null,
	attempt_count: 1,
	attempted: true,
	auto_advance: false,
	billing_reason: "subscription_create",
	collection_method: "charge_automatically",
	created: 1234567890,
	currency: "usd",
	custom_fields: null,
	customer: "cus_QXg1o8vcGmoR32",
	customer_address: {
		city: null,
		country: null,
		line1: null,
		line2: null,
		postal_code: null,
		state: null,
	},
	customer_email: null,
	customer_name: null,
	customer_phone: null,
	customer_tax_exempt: "none",
	customer_tax_ids: [],
	default_payment_method: null,
	default_source: null,
	default_tax_rates: [],
	description: null,
	discounts: [],
	due_date: null,
	effective_at: 1234567890,
	ending_balance: null,
	footer: null,
	hosted_invoice_url: null,
	id: "in_1Pgc6tB7WZ01zgkWu9fdqL6I",
	invoice_pdf: null,
	issuer: {
		type: "self",
	},
	latest_revision: null,
	lines: {
		data: [
			{
				amount: 2900,
				currency: "usd",
				description: "1 × Starter (at $29.00 / month)",
				discount_amounts: [],
				discountable: true,
				discounts: [],
				id: "il_1Pgc6sB7WZ01zgkWFnxLrLCq",
				invoice: "in_1Pgc6tB7WZ01zgkWu9fdqL6I",
				livemode: false,
				metadata: {},
				object: "line_item",
				period: {
					end: 1721954054,
					start: 1721954054,
				},
				quantity: 1,
				subscription: null,
				pretax_credit_amounts: null,
				taxes: null,
				parent: {
					invoice_item_details: null,
					subscription_item_details: {
						invoice_item: null,
						proration: false,
						proration_details: {
							credited_items: null,
						},
						subscription: "sub_x",
						subscription_item: "si_x",
					},
					type: "subscription_item_details",
				},
				pricing: {
					price_details: {
						price: "price_x",
						product: "prod_x",
					},
					type: "price_details",
					unit_amount_decimal: "2900",
				},
				subtotal: 2900,
				quantity_decimal: null,
			},
		],
		has_more: false,
		object: "list",
		url: "/v1/invoices/in_1Pgc6tB7WZ01zgkWu9fdqL6I/lines",
	},
	livemode: false,
	metadata: {},
	next_payment_attempt: null,
	number: null,
	object: "invoice",
	on_behalf_of: null,
	period_end: 1234567890,
	period_start: 1234567890,
	post_payment_credit_notes_amount: 0,
	pre_payment_credit_notes_amount: 0,
	receipt_number: null,
	starting_balance: 0,
	statement_descriptor: null,
	status: "paid",
	status_transitions: {
		finalized_at: null,
		marked_uncollectible_at: null,
		paid_at: null,
		voided_at: null,
	},
	subscription: null,
	subtotal: 2900,
	subtotal_excluding_tax: 2900,
	test_clock: null,
	total: 2900,
	total_discount_amounts: [],
	total_excluding_tax: 2900,
	webhooks_delivered_at: null,
	automatically_finalizes_at: null,
	total_pretax_credit_amounts: null,
	total_taxes: null,
	parent: {
		quote_details: null,
		subscription_details: {
			metadata: {},
			subscription: "sub_x",
		},
		type: "subscription_details",
	},
	customer_account: null,
};

const CHARGE = {
	amount: 2900,
	amount_captured: 2900,
	amount_refunded: 0,
	application: null,
	application_fee: null,
	application_fee_amount: null,
	balance_transaction: "txn_3PgaxNB7WZ01zgkW0EV3TLf4",
	billing_details: {
		address: {
			city: null,
			country: "US",
			line1: null,
			line2: null,
			postal_code: "94107",
			state: null,
		},
		email: null,
		name: null,
		phone: null,
		tax_id: null,
	},
	calculated_statement_descriptor: "ACCEPTANCE TEST",
	captured: true,
	created: 1234567890,
	currency: "usd",
	customer: null,
	description: "Subscription creation",
	disputed: false,
	failure_balance_transaction: null,
	failure_code: null,
	failure_message: null,
	fraud_details: {},
	id: "ch_3PgafuB7WZ01zgkW0XYmPNZs",
	livemode: false,
	metadata: {},
	object: "charge",
	on_behalf_of: null,
	outcome: {
		advice_code: null,
		network_advice_code: null,
		network_decline_code: null,
		network_status: "approved_by_network",
		reason: null,
		risk_level: "normal",
		risk_score: 32,
		seller_message: "Payment complete.",
		type: "authorized",
	},
	paid: true,
	payment_intent: null,
	payment_method: "pm_1PgaftB7WZ01zgkWm3waTcFp",
	payment_method_details: {
		card: {
			amount_authorized: 2900,
			authorization_code: null,
			brand: "visa",
			checks: {
				address_line1_check: null,
				address_postal_code_check: "pass",
				cvc_check: "pass",
			},
			country: "US",
			exp_month: 8,
			exp_year: 2030,
			fingerprint: "AOB934RVNwzk6xtn",
			funding: "credit",
			last4: "4242",
			mandate: null,
			network: "visa",
			network_transaction_id: "104102978678771",
			regulated_status: "unregulated",
			three_d_secure: null,
			wallet: null,
		},
		type: "card",
	},
	receipt_email: null,
	receipt_number: null,
	receipt_url:
		"https://pay.stripe.com/receipts/invoices/CAcaFwoVYWNjdF8xUGdhZlRCN1daMDF6Z2tXKI_ei7UGMgZv2S_KfiY6LCJrxC7awazgQA9I88krZKw5uuCkZ5Nup2tomEtAbSpdfzjVZHO3ZYP5KFZP",
	refunded: false,
	review: null,
	shipping: null,
	source_transfer: null,
	statement_descriptor: null,
	statement_descriptor_suffix: null,
	status: "succeeded",
	transfer_data: null,
	transfer_group: null,
	source: null,
};

const DISPUTE = {
	amount: 2900,
	balance_transactions: [],
	charge: "ch_3PgafuB7WZ01zgkW0XYmPNZs",
	created: 1234567890,
	currency: "usd",
	evidence: {
		access_activity_log: null,
		billing_address: null,
		cancellation_policy: null,
		cancellation_policy_disclosure: null,
		cancellation_rebuttal: null,
		customer_communication: null,
		customer_email_address: null,
		customer_name: null,
		customer_purchase_ip: null,
		customer_signature: null,
		duplicate_charge_documentation: null,
		duplicate_charge_explanation: null,
		duplicate_charge_id: null,
		product_description: null,
		receipt: null,
		refund_policy: null,
		refund_policy_disclosure: null,
		refund_refusal_explanation: null,
		service_date: null,
		service_documentation: null,
		shipping_address: null,
		shipping_carrier: null,
		shipping_date: null,
		shipping_documentation: null,
		shipping_tracking_number: null,
		uncategorized_file: null,
		uncategorized_text: null,
		enhanced_evidence: {},
	},
	evidence_details: {
		due_by: 1235172690,
		has_evidence: false,
		past_due: false,
		submission_count: 0,
		enhanced_eligibility: {},
	},
	id: "dp_1Pgc71B7WZ01zgkWMevJiAUx",
	is_charge_refundable: false,
	livemode: false,
	metadata: {},
	object: "dispute",
	payment_intent: "pi_3PgafyB7WZ01zgkW0SjxsAJo",
	payment_method_details: {
		card: {
			brand: "visa",
			case_type: "chargeback",
			network_reason_code: "10.4",
			network: "visa",
		},
		type: "card",
	},
	reason: "fraudulent",
	status: "needs_response",
	enhanced_eligibility_types: [],
};

const REFUND = {
	amount: 2900,
	balance_transaction: "txn_3Pgc72B7WZ01zgkW0qPvrRrP",
	charge: "ch_3PgafuB7WZ01zgkW0XYmPNZs",
	created: 1234567890,
	currency: "usd",
	destination_details: {
		card: {
			reference_status: "pending",
			reference_type: "acquirer_reference_number",
			type: "refund",
		},
		type: "card",
	},
	id: "re_3Pgc72B7WZ01zgkW0qPvrRrP",
	metadata: {},
	object: "refund",
	payment_intent: "pi_3PgafyB7WZ01zgkW0SjxsAJo",
	reason: "requested_by_customer",
	receipt_number: null,
	source_transfer_reversal: null,
	status: "succeeded",
	transfer_reversal: null,
	customer: null,
	customer_account: null,
	payment_method: "pm_1PgaftB7WZ01zgkWm3waTcFp",
};

/** `evt_dev_…`: an event id of our own, never one Stripe could have sent. */
export function devEventId(): string {
	return `evt_dev_${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`;
}

/** The customer and subscription a dev checkout gives a client, named after it so a later event can find them. */
export function devIds(clientId: string): { customer: string; subscription: string } {
	const short = clientId.replace(/-/g, "").slice(0, 14);
	return { customer: `cus_dev_${short}`, subscription: `sub_dev_${short}` };
}

export interface EventOptions {
	created: number;
	id?: string;
	livemode?: boolean;
}

/** The event envelope: https://docs.stripe.com/api/events/object */
export function stripeEvent<T>(
	type: string,
	object: T,
	{ created, id = devEventId(), livemode = false }: EventOptions,
) {
	return {
		id,
		object: "event" as const,
		api_version: STRIPE_API_VERSION,
		created,
		data: { object },
		livemode,
		pending_webhooks: 1,
		request: { id: null, idempotency_key: null },
		type,
	};
}

export type StripeEvent<T = unknown> = ReturnType<typeof stripeEvent<T>>;

export function checkoutSession(fields: StripeObject & { id: string }) {
	return { ...CHECKOUT_SESSION, ...fields };
}

/** What a checkout of ours carries: the client, its plan and CRN (src/onboarding/checkout.ts sets the same). */
export interface CheckoutRef {
	clientId: string;
	crn: string;
	planCode: string;
	sessionId: string;
	email?: string;
	name?: string;
	/** More metadata, as a deployment tags its sessions. */
	metadata?: Record<string, string>;
}

export function checkoutMetadata(ref: CheckoutRef): Record<string, string> {
	return { client_id: ref.clientId, plan_code: ref.planCode, customer_reference: ref.crn, ...ref.metadata };
}

/** A subscription checkout the customer paid, as `checkout.session.completed` carries it. */
export function paidCheckoutSession(ref: CheckoutRef, created: number, overrides: StripeObject = {}) {
	const ids = devIds(ref.clientId);
	return checkoutSession({
		id: ref.sessionId,
		created,
		expires_at: created + 86_400,
		client_reference_id: ref.clientId,
		customer: ids.customer,
		customer_details: ref.email ? { email: ref.email, name: ref.name ?? null } : null,
		customer_email: ref.email ?? null,
		metadata: checkoutMetadata(ref),
		subscription: ids.subscription,
		status: "complete",
		payment_status: "paid",
		// A completed session has no page to open any more.
		url: null,
		...overrides,
	});
}

/** A Stripe list object (`object: "list"`) holding one item, at its own URL. */
function oneItemList<L extends object, I>(base: L, item: I, url: string) {
	return { ...base, data: [item], url };
}

export interface SubscriptionFields extends StripeObject {
	id: string;
	customer: string;
	status: string;
	created: number;
	metadata: Record<string, string>;
	price?: string;
}

export function subscription(fields: SubscriptionFields) {
	const { price, ...rest } = fields;
	const [item] = SUBSCRIPTION.items.data;
	const items = oneItemList(
		SUBSCRIPTION.items,
		{
			...item,
			subscription: fields.id,
			price: { ...item?.price, id: price ?? item?.price.id },
			current_period_start: fields.created,
			current_period_end: fields.created + 30 * 86_400,
		},
		`/v1/subscription_items?subscription=${fields.id}`,
	);
	return { ...SUBSCRIPTION, billing_cycle_anchor: fields.created, start_date: fields.created, items, ...rest };
}

/** The subscription a dev checkout makes for a client, under the name devIds gives it. */
export function devSubscription(clientId: string, status: string, created: number, metadata: Record<string, string>) {
	const ids = devIds(clientId);
	return subscription({ id: ids.subscription, customer: ids.customer, status, created, metadata });
}

export interface InvoiceFields extends StripeObject {
	id: string;
	customer: string;
	subscription: string;
	status: string;
	created: number;
	/** The subscription's metadata, which Stripe copies to the invoice's parent. */
	metadata: Record<string, string>;
}

/**
 * Since API version 2025-03-31.basil an invoice names its subscription under
 * `parent.subscription_details`, not at the top level.
 */
export function invoice({ subscription: sub, metadata, ...fields }: InvoiceFields) {
	const [line] = INVOICE.lines.data;
	const lines = oneItemList(
		INVOICE.lines,
		{
			...line,
			invoice: fields.id,
			parent: {
				...line?.parent,
				subscription_item_details: { ...line?.parent.subscription_item_details, subscription: sub },
			},
		},
		`/v1/invoices/${fields.id}/lines`,
	);
	const parent = { ...INVOICE.parent, subscription_details: { metadata, subscription: sub } };
	return { ...INVOICE, effective_at: fields.created, lines, parent, ...fields };
}

export function charge(fields: StripeObject & { id: string; created: number }) {
	return { ...CHARGE, ...fields };
}

export function dispute(fields: StripeObject & { id: string; charge: string; created: number }) {
	return { ...DISPUTE, ...fields };
}

export function refund(fields: StripeObject & { id: string; charge: string; created: number }) {
	return { ...REFUND, ...fields };
}

/** Stripe posts pretty-printed JSON; these exact bytes are what gets signed and sent. */
export function eventPayload(event: unknown): string {
	return JSON.stringify(event, null, 2);
}

/** A delivery of `event`: its body and the `Stripe-Signature` header (`t=…,v1=…`) for `secret` at `timestamp`. */
export async function signedEvent(
	event: unknown,
	secret: string,
	timestamp: number,
): Promise<{ payload: string; signature: string }> {
	const payload = eventPayload(event);
	return { payload, signature: await signStripePayload(payload, secret, timestamp) };
}
