// "Access follows the money" through the real webhook route, D1 and queue: each
// SPEC row and event as a customer then reads it on /api/portal/me, with
// duplicate deliveries and Stripe's reordering where they apply.
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { provisionMessage, type WorkOf } from "../src/work/messages";
import {
	api,
	captureLogs,
	checkoutCompleted,
	countOf,
	createClient,
	customerWithPassword,
	devIds,
	envWith,
	insertJob,
	jobOf,
	login,
	nowSeconds,
	outboxToken,
	payloadOf,
	postWebhook,
	runQueueBatch,
	setPassword,
	setupStatus,
	standInControl,
	standInRequests,
	subscriptionEvent,
	uniqueId,
	waitFor,
	waitForJobState,
} from "./support/helpers";
import {
	addTrialPrice,
	chargeRefunded,
	clientColumn,
	DAY_MS,
	deliver,
	deliveriesOf,
	disputeEvent,
	emailsAbout,
	loggedIn,
	MONEY_ENV,
	PASSWORD,
	paymentIntentId,
	planOf,
	renewalInvoice,
	reseedSubscription,
	seedOutsideSubscription,
	seedRenewalPayment,
	subscriptionChange,
	TRIAL_DAYS,
	TRIAL_PRICE,
	waitForEmailsAbout,
} from "./support/money";
import { ONE_TIME_PRICE } from "./support/stand-in/stripe";

const FAILED = "Your payment didn't go through";
const CONFIRM = "Confirm your payment";
const TRIAL_ENDS = "Your trial ends on ";
const WELCOME = "Your portal is ready: set your password";

beforeAll(async () => {
	await addTrialPrice();
});

afterEach(() => {
	vi.restoreAllMocks();
});

/** A subscriber of the starter plan, paid through Checkout, logged in. */
async function subscriber() {
	const paid = await customerWithPassword(PASSWORD);
	const { cookie } = await login(paid.client.email, PASSWORD);
	return { client: paid.client, cookie };
}

/** A one-time purchase of the lifetime plan, paid with `paymentIntent`, logged in. */
async function oneTimeBuyer(paymentIntent = paymentIntentId()) {
	const client = await createClient({ plan_code: "lifetime" }, MONEY_ENV);
	await deliver(
		checkoutCompleted(client, {
			mode: "payment",
			subscription: null,
			payment_intent: paymentIntent,
			amount_total: 29900,
		}),
	);
	const cookie = await loggedIn(client);
	return { client, cookie, paymentIntent };
}

/** A subscriber whose renewal was paid with a payment intent Stripe links to the subscription's invoice. */
async function subscriberWithRenewal() {
	const { client, cookie } = await subscriber();
	const ids = devIds(client.clientId);
	const paymentIntent = paymentIntentId();
	await seedRenewalPayment(ids.customer, ids.subscription, paymentIntent);
	return { client, cookie, paymentIntent };
}

/** The work-queue log lines about one client, of one event name. */
function noticeLogs(logs: ReturnType<typeof captureLogs>, name: "NOTICE_SENT" | "NOTICE_SKIPPED", clientId: string) {
	return logs.events(name).filter((e) => e.client_id === clientId);
}

describe("refunds", () => {
	it("ends a one-time plan refunded in full", async () => {
		const { client, cookie, paymentIntent } = await oneTimeBuyer();
		expect(await planOf(cookie, client.crn)).toMatchObject({ access: "active", reason: "paid" });
		await deliver(chargeRefunded(paymentIntent, { amount: 29900 }));
		const plan = await planOf(cookie, client.crn);
		expect(plan).toMatchObject({ access: "ended", reason: "refunded", status: null, current_period_end: null });
		expect(plan.action).toBeUndefined();
	});

	it("changes nothing for a partial refund", async () => {
		const { client, cookie, paymentIntent } = await oneTimeBuyer();
		await deliver(chargeRefunded(paymentIntent, { amount: 29900, refunded: 10000 }));
		expect(await planOf(cookie, client.crn)).toMatchObject({ access: "active", reason: "paid" });
		expect(await clientColumn(client.clientId, "refunded_at")).toBeNull();
	});

	it("changes nothing more when the same refund arrives twice", async () => {
		const { client, cookie, paymentIntent } = await oneTimeBuyer();
		const refund = chargeRefunded(paymentIntent, { amount: 29900 });
		expect(await deliver(refund)).toMatchObject({ duplicate: false });
		const refundedAt = await clientColumn(client.clientId, "refunded_at");
		expect(refundedAt).toEqual(expect.any(Number));
		expect(await deliver(refund)).toMatchObject({ duplicate: true });
		expect(await deliveriesOf(refund.id)).toBe(2);
		// Stripe sends charge.refunded again for a later refund of the same charge: still the first refund's time.
		await deliver(chargeRefunded(paymentIntent, { amount: 29900 }));
		expect(await clientColumn(client.clientId, "refunded_at")).toBe(refundedAt);
		expect(await planOf(cookie, client.crn)).toMatchObject({ access: "ended", reason: "refunded" });
	});

	it("places a refunded renewal through Stripe's invoice payments and ends the subscription's plan", async () => {
		const { client, cookie, paymentIntent } = await subscriberWithRenewal();
		await deliver(chargeRefunded(paymentIntent));
		expect(await planOf(cookie, client.crn)).toMatchObject({ access: "ended", reason: "refunded", status: "active" });
		const asked = (await standInRequests(paymentIntent)).filter((r) => r.path === "/v1/invoice_payments");
		expect(asked[0]?.query).toMatchObject({
			"payment[type]": "payment_intent",
			"payment[payment_intent]": paymentIntent,
		});
	});

	it("acknowledges, records and logs a charge nobody can place, never a 500", async () => {
		const logs = captureLogs();
		const unknown = chargeRefunded(paymentIntentId());
		const none = chargeRefunded(null);
		for (const event of [unknown, none]) {
			const response = await postWebhook(payloadOf(event));
			expect(response.status).toBe(200);
			expect(await deliveriesOf(event.id)).toBe(1);
		}
		logs.restore();
		expect(logs.events("CHARGE_UNPLACED").map((e) => e.payment_intent_id)).toEqual([
			unknown.data.object.payment_intent,
			null,
		]);
		expect(logs.events("WEBHOOK_PROCESSING_FAILED")).toEqual([]);
		expect((await postWebhook(payloadOf(unknown))).status).toBe(200);
		expect(await deliveriesOf(unknown.id)).toBe(2);
	});
});

describe("disputes", () => {
	it("suspends a plan while a dispute on its payment is open, once however often it arrives", async () => {
		const { client, cookie, paymentIntent } = await subscriberWithRenewal();
		const created = disputeEvent("charge.dispute.created", paymentIntent, { disputeId: uniqueId("dp_") });
		await deliver(created);
		expect(await planOf(cookie, client.crn)).toMatchObject({ access: "suspended", reason: "dispute_open" });
		expect(await deliver(created)).toMatchObject({ duplicate: true });
		expect(await planOf(cookie, client.crn)).toMatchObject({ access: "suspended", reason: "dispute_open" });
	});

	it("gives back what the subscription says when a dispute is won", async () => {
		const { client, cookie, paymentIntent } = await subscriberWithRenewal();
		const disputeId = uniqueId("dp_");
		const t = nowSeconds();
		await deliver(disputeEvent("charge.dispute.created", paymentIntent, { disputeId, created: t }));
		const won = disputeEvent("charge.dispute.closed", paymentIntent, { disputeId, status: "won", created: t + 60 });
		await deliver(won);
		expect(await planOf(cookie, client.crn)).toMatchObject({ access: "active", reason: "paid", status: "active" });
		expect(await deliver(won)).toMatchObject({ duplicate: true });
		expect(await planOf(cookie, client.crn)).toMatchObject({ access: "active", reason: "paid" });
	});

	it("ends a plan when a dispute is lost", async () => {
		const { client, cookie, paymentIntent } = await subscriberWithRenewal();
		const disputeId = uniqueId("dp_");
		const t = nowSeconds();
		await deliver(disputeEvent("charge.dispute.created", paymentIntent, { disputeId, created: t }));
		const lost = disputeEvent("charge.dispute.closed", paymentIntent, { disputeId, status: "lost", created: t + 60 });
		await deliver(lost);
		expect(await planOf(cookie, client.crn)).toMatchObject({ access: "ended", reason: "dispute_lost" });
		expect(await deliver(lost)).toMatchObject({ duplicate: true });
		expect(await planOf(cookie, client.crn)).toMatchObject({ access: "ended", reason: "dispute_lost" });
	});

	it("keeps a won dispute closed when its created event arrives after the closed one", async () => {
		const { client, cookie, paymentIntent } = await subscriberWithRenewal();
		const disputeId = uniqueId("dp_");
		const t = nowSeconds();
		await deliver(disputeEvent("charge.dispute.closed", paymentIntent, { disputeId, status: "won", created: t + 60 }));
		await deliver(disputeEvent("charge.dispute.created", paymentIntent, { disputeId, created: t }));
		expect(await planOf(cookie, client.crn)).toMatchObject({ access: "active", reason: "paid" });
	});

	it("keeps a lost dispute closed when its created event arrives after the closed one", async () => {
		const { client, cookie, paymentIntent } = await subscriberWithRenewal();
		const disputeId = uniqueId("dp_");
		const t = nowSeconds();
		await deliver(disputeEvent("charge.dispute.closed", paymentIntent, { disputeId, status: "lost", created: t + 60 }));
		await deliver(disputeEvent("charge.dispute.created", paymentIntent, { disputeId, created: t }));
		expect(await planOf(cookie, client.crn)).toMatchObject({ access: "ended", reason: "dispute_lost" });
	});

	it("suspends a one-time plan while its payment is disputed and gives it back when the dispute is won", async () => {
		const { client, cookie, paymentIntent } = await oneTimeBuyer();
		const disputeId = uniqueId("dp_");
		await deliver(disputeEvent("charge.dispute.created", paymentIntent, { disputeId }));
		expect(await planOf(cookie, client.crn)).toMatchObject({ access: "suspended", reason: "dispute_open" });
		await deliver(disputeEvent("charge.dispute.closed", paymentIntent, { disputeId, status: "won" }));
		expect(await planOf(cookie, client.crn)).toMatchObject({ access: "active", reason: "paid", status: null });
	});
});

describe("failed renewals", () => {
	it("makes a plan past due with the grace end and the invoice to pay", async () => {
		const { client, cookie } = await subscriber();
		const t = nowSeconds();
		const url = `https://invoice.stripe.com/i/acct_test/${uniqueId("pay")}`;
		await deliver(renewalInvoice("invoice.payment_failed", client, { invoiceId: uniqueId("in_"), created: t, url }));
		expect(await planOf(cookie, client.crn)).toEqual(
			expect.objectContaining({
				access: "past_due",
				reason: "payment_failed",
				grace_ends_at: new Date(t * 1000 + 7 * DAY_MS).toISOString(),
				action: { type: "pay_invoice", url },
			}),
		);
	});

	it("sends one email per failed attempt, with the invoice's page, and keeps the first failure's grace", async () => {
		const logs = captureLogs();
		const { client, cookie } = await subscriber();
		const invoiceId = uniqueId("in_");
		const url = `https://invoice.stripe.com/i/acct_test/${invoiceId}`;
		const t = nowSeconds();
		const first = renewalInvoice("invoice.payment_failed", client, { invoiceId, attempt: 1, created: t, url });
		await deliver(first);
		expect(await deliver(first)).toMatchObject({ duplicate: true });
		// The same attempt under another event id (Stripe's retry of a lost delivery is the same id; a resend is not).
		await deliver(renewalInvoice("invoice.payment_failed", client, { invoiceId, attempt: 1, created: t, url }));
		await deliver(
			renewalInvoice("invoice.payment_failed", client, { invoiceId, attempt: 2, created: t + 3 * 86_400, url }),
		);
		await waitFor(() => Promise.resolve(noticeLogs(logs, "NOTICE_SENT", client.clientId).length >= 3));
		logs.restore();

		const emails = await emailsAbout(client.email, FAILED);
		expect(emails).toHaveLength(2);
		for (const email of emails) expect(email.text_body).toContain(url);
		expect(await planOf(cookie, client.crn)).toMatchObject({
			access: "past_due",
			grace_ends_at: new Date(t * 1000 + 7 * DAY_MS).toISOString(),
		});
	});

	it("suspends a plan once the grace period after the first failure is over", async () => {
		const { client, cookie } = await subscriber();
		const url = `https://invoice.stripe.com/i/acct_test/${uniqueId("late")}`;
		const eightDaysAgo = nowSeconds() - 8 * 86_400;
		await deliver(
			renewalInvoice("invoice.payment_failed", client, { invoiceId: uniqueId("in_"), created: eightDaysAgo, url }),
		);
		expect(await planOf(cookie, client.crn)).toMatchObject({
			access: "suspended",
			reason: "grace_over",
			grace_ends_at: null,
			action: { type: "pay_invoice", url },
		});
	});

	it("suspends a failed renewal at once when PAST_DUE_GRACE_DAYS is 0", async () => {
		const noGrace = envWith({ PAST_DUE_GRACE_DAYS: "0" });
		const { client, cookie } = await subscriber();
		await deliver(renewalInvoice("invoice.payment_failed", client, { invoiceId: uniqueId("in_") }), noGrace);
		expect(await planOf(cookie, client.crn, noGrace)).toMatchObject({ access: "suspended", reason: "grace_over" });
		expect(await planOf(cookie, client.crn)).toMatchObject({ access: "past_due", reason: "payment_failed" });
	});

	it("gives access back when the invoice is paid", async () => {
		const { client, cookie } = await subscriber();
		const invoiceId = uniqueId("in_");
		const t = nowSeconds();
		await deliver(renewalInvoice("invoice.payment_failed", client, { invoiceId, created: t }));
		await deliver(renewalInvoice("invoice.paid", client, { invoiceId, created: t + 60 }));
		const plan = await planOf(cookie, client.crn);
		expect(plan).toMatchObject({ access: "active", reason: "paid", grace_ends_at: null });
		expect(plan.action).toBeUndefined();
	});

	it("keeps a plan past due when an older paid invoice arrives after the failure", async () => {
		const { client, cookie } = await subscriber();
		const t = nowSeconds();
		await deliver(renewalInvoice("invoice.payment_failed", client, { invoiceId: uniqueId("in_"), created: t }));
		await deliver(renewalInvoice("invoice.paid", client, { invoiceId: uniqueId("in_"), created: t - 30 * 86_400 }));
		expect(await planOf(cookie, client.crn)).toMatchObject({ access: "past_due", reason: "payment_failed" });
	});

	it("changes nothing and sends no email for a failure older than the paid invoice", async () => {
		const logs = captureLogs();
		const { client, cookie } = await subscriber();
		const invoiceId = uniqueId("in_");
		const t = nowSeconds();
		await deliver(renewalInvoice("invoice.paid", client, { invoiceId, created: t }));
		await deliver(renewalInvoice("invoice.payment_failed", client, { invoiceId, created: t - 60 }));
		await waitFor(() => Promise.resolve(noticeLogs(logs, "NOTICE_SKIPPED", client.clientId).length >= 1));
		const [skipped] = noticeLogs(logs, "NOTICE_SKIPPED", client.clientId);
		logs.restore();
		expect(skipped).toMatchObject({ kind: "payment_failed", reason: "paid_since" });
		expect(await emailsAbout(client.email, FAILED)).toEqual([]);
		const plan = await planOf(cookie, client.crn);
		expect(plan).toMatchObject({ access: "active", reason: "paid", grace_ends_at: null });
		expect(plan.action).toBeUndefined();
	});

	it("sends no dunning email when the first invoice fails", async () => {
		const logs = captureLogs();
		const { client } = await subscriber();
		const t = nowSeconds();
		await deliver(
			renewalInvoice("invoice.payment_failed", client, {
				invoiceId: uniqueId("in_"),
				created: t,
				billingReason: "subscription_create",
			}),
		);
		// A renewal's failure afterwards: once its email is out, any email for the first would be too.
		const renewal = uniqueId("in_renewal_");
		await deliver(renewalInvoice("invoice.payment_failed", client, { invoiceId: renewal, created: t + 1 }));
		await waitFor(() => Promise.resolve(noticeLogs(logs, "NOTICE_SENT", client.clientId).length >= 1));
		logs.restore();
		const emails = await emailsAbout(client.email, FAILED);
		expect(emails).toHaveLength(1);
		expect(emails[0]?.text_body).toContain(renewal);
		expect(noticeLogs(logs, "NOTICE_SENT", client.clientId)).toHaveLength(1);
	});
});

describe("payments to confirm (3-D Secure)", () => {
	it("asks once to confirm a renewal's payment and shows the action until the invoice is paid", async () => {
		const logs = captureLogs();
		const { client, cookie } = await subscriber();
		const invoiceId = uniqueId("in_");
		const url = `https://invoice.stripe.com/i/acct_test/${invoiceId}`;
		const t = nowSeconds();
		const required = renewalInvoice("invoice.payment_action_required", client, { invoiceId, created: t, url });
		await deliver(required);
		expect(await deliver(required)).toMatchObject({ duplicate: true });
		await deliver(renewalInvoice("invoice.payment_action_required", client, { invoiceId, created: t, url }));
		await waitFor(() => Promise.resolve(noticeLogs(logs, "NOTICE_SENT", client.clientId).length >= 2));
		logs.restore();
		const emails = await emailsAbout(client.email, CONFIRM);
		expect(emails).toHaveLength(1);
		expect(emails[0]?.text_body).toContain(url);
		expect((await planOf(cookie, client.crn)).action).toEqual({ type: "confirm_payment", url });

		await deliver(renewalInvoice("invoice.paid", client, { invoiceId, created: t + 60 }));
		const plan = await planOf(cookie, client.crn);
		expect(plan).toMatchObject({ access: "active", reason: "paid" });
		expect(plan.action).toBeUndefined();
	});

	it("asks nothing when the request to confirm is older than the paid invoice", async () => {
		const logs = captureLogs();
		const { client, cookie } = await subscriber();
		const invoiceId = uniqueId("in_");
		const t = nowSeconds();
		await deliver(renewalInvoice("invoice.paid", client, { invoiceId, created: t }));
		await deliver(renewalInvoice("invoice.payment_action_required", client, { invoiceId, created: t - 60 }));
		await waitFor(() => Promise.resolve(noticeLogs(logs, "NOTICE_SKIPPED", client.clientId).length >= 1));
		logs.restore();
		expect(await emailsAbout(client.email, CONFIRM)).toEqual([]);
		expect((await planOf(cookie, client.crn)).action).toBeUndefined();
	});
});

describe("trials", () => {
	it("starts a Checkout Session with the plan's trial", async () => {
		const client = await createClient({ plan_code: "trial" }, MONEY_ENV);
		const [request] = (await standInRequests(client.clientId)).filter((r) => r.path === "/v1/checkout/sessions");
		expect(request?.form).toMatchObject({
			mode: "subscription",
			"line_items[0][price]": TRIAL_PRICE,
			"subscription_data[trial_period_days]": String(TRIAL_DAYS),
			"subscription_data[metadata][client_id]": client.clientId,
		});
	});

	it("onboards a checkout that needed no payment", async () => {
		const client = await createClient({ plan_code: "trial" }, MONEY_ENV);
		await deliver(checkoutCompleted(client, { payment_status: "no_payment_required", amount_total: 0 }));
		await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
		expect((await setupStatus(client)).body).toMatchObject({
			payment_state: "paid",
			provisioning_state: "completed",
			next_action: "set_password",
		});
		expect(await waitForEmailsAbout(client.email, WELCOME, 1)).toHaveLength(1);
	});

	it("reads active and trialing while the subscription is trialing", async () => {
		const client = await createClient({ plan_code: "trial" }, MONEY_ENV);
		await deliver(checkoutCompleted(client, { payment_status: "no_payment_required", amount_total: 0 }));
		const cookie = await loggedIn(client);
		const t = nowSeconds();
		await deliver(subscriptionEvent("customer.subscription.updated", client, "trialing", { created: t + 1 }));
		expect(await planOf(cookie, client.crn)).toMatchObject({
			status: "trialing",
			access: "active",
			reason: "trialing",
		});
	});

	it("sends one trial-ending email per trial", async () => {
		const logs = captureLogs();
		const client = await createClient({ plan_code: "trial" }, MONEY_ENV);
		await deliver(checkoutCompleted(client, { payment_status: "no_payment_required", amount_total: 0 }));
		await loggedIn(client);
		const ids = devIds(client.clientId);
		const t = nowSeconds();
		const trialEnd = t + 3 * 86_400;
		const fields = {
			subscriptionId: ids.subscription,
			customer: ids.customer,
			status: "trialing",
			price: TRIAL_PRICE,
			metadata: { client_id: client.clientId },
			trialEnd,
		};
		const reminder = subscriptionChange("customer.subscription.trial_will_end", fields, { created: t });
		await deliver(reminder);
		expect(await deliver(reminder)).toMatchObject({ duplicate: true });
		await deliver(subscriptionChange("customer.subscription.trial_will_end", fields, { created: t }));
		await waitFor(() => Promise.resolve(noticeLogs(logs, "NOTICE_SENT", client.clientId).length >= 2));
		logs.restore();
		const day = new Date(trialEnd * 1000).toLocaleDateString("en-US", {
			year: "numeric",
			month: "long",
			day: "numeric",
			timeZone: "UTC",
		});
		const emails = await emailsAbout(client.email, TRIAL_ENDS);
		expect(emails.map((e) => e.subject)).toEqual([`${TRIAL_ENDS}${day}`]);
	});
});

describe("one-time plans", () => {
	it("starts a payment-mode Checkout that always makes a customer and names no subscription", async () => {
		const client = await createClient({ plan_code: "lifetime" }, MONEY_ENV);
		const [request] = (await standInRequests(client.clientId)).filter((r) => r.path === "/v1/checkout/sessions");
		expect(request?.form).toMatchObject({
			mode: "payment",
			customer_creation: "always",
			"line_items[0][price]": ONE_TIME_PRICE,
			"payment_intent_data[metadata][client_id]": client.clientId,
		});
		expect(Object.keys(request?.form ?? {}).filter((k) => k.startsWith("subscription_data"))).toEqual([]);
	});

	it("keeps a paid one-time plan active with no period end", async () => {
		const { client, cookie } = await oneTimeBuyer();
		const plan = await planOf(cookie, client.crn, MONEY_ENV);
		expect(plan).toMatchObject({
			plan_code: "lifetime",
			plan_name: "Lifetime",
			status: null,
			access: "active",
			reason: "paid",
			current_period_end: null,
			grace_ends_at: null,
		});
		expect(plan.action).toBeUndefined();
	});
});

describe("one Stripe customer per login", () => {
	it("passes the first purchase's customer to the login's next checkout, and no email", async () => {
		const { client: first } = await subscriber();
		const second = await createClient({ email: first.email, plan_code: "pro" });
		const [request] = (await standInRequests(second.clientId)).filter((r) => r.path === "/v1/checkout/sessions");
		expect(request?.form.customer).toBe(devIds(first.clientId).customer);
		expect(request?.form).not.toHaveProperty("customer_email");
	});

	it("opens the Billing Portal on the login's customer", async () => {
		const { client: first, cookie } = await subscriber();
		const customer = devIds(first.clientId).customer;
		const second = await createClient({ email: first.email, plan_code: "pro" });
		await deliver(checkoutCompleted(second, { customer }));
		await waitForJobState(second.clientId, "WELCOME_EMAIL_SENT");
		const response = await api("/api/portal/billing", { method: "POST", headers: { cookie, origin: "http://worker" } });
		expect(response.status).toBe(200);
		const opened = (await standInRequests(customer)).filter((r) => r.path === "/v1/billing_portal/sessions");
		expect(opened.map((r) => r.form.customer)).toEqual([customer]);
	});
	it("passes the login's customer to a one-time checkout, and never asks Stripe to make another", async () => {
		const { client: first } = await subscriber();
		const second = await createClient({ email: first.email, plan_code: "lifetime" }, MONEY_ENV);
		const [request] = (await standInRequests(second.clientId)).filter((r) => r.path === "/v1/checkout/sessions");
		expect(request?.form).toMatchObject({ mode: "payment", customer: devIds(first.clientId).customer });
		expect(request?.form).not.toHaveProperty("customer_creation");
		expect(request?.form).not.toHaveProperty("customer_email");
	});
});

describe("subscriptions made outside Checkout", () => {
	it("onboards its customer: a CRN, a login for the customer's email and the welcome email", async () => {
		const sub = await seedOutsideSubscription({ status: "active" });
		const logs = captureLogs();
		await deliver(
			subscriptionChange("customer.subscription.created", { ...sub, status: "active", price: "price_pro_monthly" }),
		);
		const clientId = await waitFor(() => clientColumnBySubscription(sub.subscriptionId, "id"));
		await waitForJobState(String(clientId), "WELCOME_EMAIL_SENT");
		logs.restore();
		expect(logs.events("SUBSCRIPTION_ADOPTED")).toHaveLength(1);
		expect(await clientColumnBySubscription(sub.subscriptionId, "crn")).toMatch(/^CRN-[2-9A-Z]{4}-[2-9A-Z]{4}$/);
		expect(await countOf("users", { email: sub.email })).toBe(1);
		expect(await waitForEmailsAbout(sub.email, WELCOME, 1)).toHaveLength(1);

		expect((await setPassword(await outboxToken(sub.email), PASSWORD)).status).toBe(200);
		const { cookie } = await login(sub.email, PASSWORD);
		const crn = String(await clientColumnBySubscription(sub.subscriptionId, "crn"));
		expect(await planOf(cookie, crn)).toMatchObject({ plan_code: "pro", status: "active", access: "active" });
	});

	it("adopts a subscription once however often it is announced", async () => {
		const sub = await seedOutsideSubscription({ status: "active" });
		const logs = captureLogs();
		const t = nowSeconds();
		const fields = { ...sub, status: "active", price: "price_pro_monthly" };
		const created = subscriptionChange("customer.subscription.created", fields, { created: t });
		await deliver(created);
		expect(await deliver(created)).toMatchObject({ duplicate: true });
		await deliver(subscriptionChange("customer.subscription.updated", fields, { created: t }));
		const adopting = logs.events("SUBSCRIPTION_ADOPTING").length;
		await waitFor(() => Promise.resolve(logs.events("SUBSCRIPTION_ADOPTED").length >= adopting));
		const clientId = String(await clientColumnBySubscription(sub.subscriptionId, "id"));
		await waitForJobState(clientId, "WELCOME_EMAIL_SENT");
		logs.restore();
		expect(await countOf("clients", { subscription_id: sub.subscriptionId })).toBe(1);
		expect(await countOf("users", { email: sub.email })).toBe(1);
		expect(await emailsAbout(sub.email, WELCOME)).toHaveLength(1);
	});

	it("leaves alone a subscription another deployment's Checkout made", async () => {
		const others: Record<string, string>[] = [
			{ onboarding_origin: "https://staging.example.com" },
			{ client_id: crypto.randomUUID() },
		];
		for (const metadata of others) {
			const sub = await seedOutsideSubscription({ status: "active", metadata });
			const logs = captureLogs();
			await deliver(
				subscriptionChange("customer.subscription.created", {
					...sub,
					status: "active",
					price: "price_pro_monthly",
					metadata,
				}),
			);
			logs.restore();
			expect(logs.events("SUBSCRIPTION_ADOPTING"), JSON.stringify(metadata)).toEqual([]);
			expect(logs.events("WEBHOOK_PROCESSED_OK")[0]?.outcome).toBe("unknown_client");
			expect(await countOf("clients", { subscription_id: sub.subscriptionId })).toBe(0);
		}
	});

	it("leaves alone a subscription for a price not in PLANS", async () => {
		const sub = await seedOutsideSubscription({ status: "active", price: "price_1PgafmB7WZ01zgkW6dKueIc5" });
		const logs = captureLogs();
		await deliver(subscriptionChange("customer.subscription.created", { ...sub, status: "active" }));
		logs.restore();
		expect(logs.events("SUBSCRIPTION_ADOPTING")).toEqual([]);
		expect(await countOf("clients", { subscription_id: sub.subscriptionId })).toBe(0);
	});

	it("adopts an incomplete subscription only once a later event says it is active", async () => {
		const sub = await seedOutsideSubscription({ status: "incomplete" });
		const logs = captureLogs();
		const t = nowSeconds();
		const fields = { ...sub, price: "price_pro_monthly" };
		await deliver(
			subscriptionChange("customer.subscription.created", { ...fields, status: "incomplete" }, { created: t }),
		);
		expect(logs.events("SUBSCRIPTION_ADOPTING")).toEqual([]);
		expect(await countOf("clients", { subscription_id: sub.subscriptionId })).toBe(0);

		await reseedSubscription(sub, "active", "price_pro_monthly");
		await deliver(
			subscriptionChange("customer.subscription.updated", { ...fields, status: "active" }, { created: t + 5 }),
		);
		const clientId = String(await waitFor(() => clientColumnBySubscription(sub.subscriptionId, "id")));
		await waitForJobState(clientId, "WELCOME_EMAIL_SENT");
		logs.restore();
		expect(logs.events("SUBSCRIPTION_ADOPTING")).toHaveLength(1);
		expect(await clientColumn(clientId, "subscription_status")).toBe("active");
	});
});

describe("plan changes", () => {
	it("follows the subscription's new price to another plan", async () => {
		const { client, cookie } = await subscriber();
		const ids = devIds(client.clientId);
		const fields = {
			subscriptionId: ids.subscription,
			customer: ids.customer,
			metadata: { client_id: client.clientId },
		};
		await deliver(
			subscriptionChange("customer.subscription.updated", { ...fields, status: "active", price: "price_pro_monthly" }),
		);
		expect(await planOf(cookie, client.crn)).toMatchObject({ plan_code: "pro", plan_name: "Pro", access: "active" });
	});

	it("keeps the new plan when an older event with the old price arrives later", async () => {
		const { client, cookie } = await subscriber();
		const ids = devIds(client.clientId);
		const fields = {
			subscriptionId: ids.subscription,
			customer: ids.customer,
			metadata: { client_id: client.clientId },
		};
		const t = nowSeconds() + 10;
		await deliver(
			subscriptionChange(
				"customer.subscription.updated",
				{ ...fields, status: "active", price: "price_pro_monthly" },
				{ created: t },
			),
		);
		await deliver(
			subscriptionChange(
				"customer.subscription.updated",
				{ ...fields, status: "active", price: "price_starter_monthly" },
				{ created: t - 5 },
			),
		);
		expect(await planOf(cookie, client.crn)).toMatchObject({ plan_code: "pro" });
	});
});

/** A column of the client that holds `subscriptionId`, or undefined before there is one. */
async function clientColumnBySubscription(subscriptionId: string, column: "id" | "crn") {
	const row = await env.DB.prepare(`select ${column} as v from clients where subscription_id = ?`)
		.bind(subscriptionId)
		.first<{ v: string }>();
	return row?.v;
}

describe("mail priority", () => {
	it("never sends a notice ahead of a welcome email waiting for the provider's rate", async () => {
		const { client: subscribed } = await subscriber();
		const waiting = await createClient();
		const jobId = await insertJob(waiting.clientId);
		const key = `re_${uniqueId("")}`;
		const resend = envWith({ MAIL_TRANSPORT: "resend", MAIL_API_KEY: key, MAIL_RATE_PER_SECOND: "1" });
		// Welcome emails already hold the provider's next slot and a half: a backlog.
		await env.DB.prepare(
			"insert into rate_gates (name, next_at) values ('mail', ?1) on conflict (name) do update set next_at = ?1",
		)
			.bind(Date.now() + 1_500)
			.run();
		const logs = captureLogs();
		const notice: WorkOf<"notice"> = {
			type: "notice",
			kind: "payment_failed",
			clientId: subscribed.clientId,
			key: `payment-failed-${uniqueId("in_")}-1`,
			url: "https://invoice.stripe.com/i/acct_test/test_in_priority",
			eventAt: nowSeconds(),
		};
		await runQueueBatch("onboarding-work", [notice], 1, resend);
		await runQueueBatch("onboarding-work", [provisionMessage(jobId, waiting.clientId)], 1, resend);
		logs.restore();
		expect(logs.events("NOTICE_DEFERRED").filter((e) => e.client_id === subscribed.clientId)).toHaveLength(1);
		expect(await jobOf(waiting.clientId)).toMatchObject({ state: "WELCOME_EMAIL_SENT" });
		const sent = (await standInControl("emails", { key })) as Array<{ to: string[]; subject: string }>;
		expect(sent.map((m) => [m.to[0], m.subject])).toEqual([[waiting.email, WELCOME]]);
	});
});
