import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
	captureLogs,
	checkoutCompleted,
	countOf,
	createClient,
	envelope,
	invoiceEvent,
	jobOf,
	nowSeconds,
	payloadOf,
	postWebhook,
	setupStatus,
	subscriptionEvent,
	waitForJobState,
} from "./support/helpers";

const emailsTo = (to: string) => countOf("outbox", { to_address: to });
const usersOf = (clientId: string) => countOf("users", { client_id: clientId });

describe("webhook processing", () => {
	it("turns checkout.session.completed into a paid client, one job, and a provisioned user", async () => {
		const client = await createClient();
		const response = await postWebhook(payloadOf(checkoutCompleted(client)));
		expect(response.status).toBe(200);
		const job = await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
		expect(job.source).toBe("webhook");
		expect(await usersOf(client.clientId)).toBe(1);
		expect(await emailsTo(client.email)).toBe(1);
		const { body } = await setupStatus(client);
		expect(body).toMatchObject({ payment_state: "paid", provisioning_state: "completed", next_action: "set_password" });
	});

	it("ignores a sequential duplicate delivery: one job, one user, one email", async () => {
		const client = await createClient();
		const payload = payloadOf(checkoutCompleted(client));
		expect((await postWebhook(payload)).status).toBe(200);
		const second = await postWebhook(payload);
		expect(second.status).toBe(200);
		expect(await second.json()).toMatchObject({ duplicate: true });
		await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
		expect(await countOf("jobs", { client_id: client.clientId })).toBe(1);
		expect(await usersOf(client.clientId)).toBe(1);
		expect(await emailsTo(client.email)).toBe(1);
	});

	it("handles concurrent duplicate deliveries: one job, one user, one email", async () => {
		const client = await createClient();
		const payload = payloadOf(checkoutCompleted(client));
		const responses = await Promise.all(Array.from({ length: 5 }, () => postWebhook(payload)));
		expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
		const bodies = (await Promise.all(responses.map((r) => r.json()))) as Array<{ duplicate: boolean }>;
		expect(bodies.filter((b) => !b.duplicate)).toHaveLength(1);
		await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
		expect(await countOf("jobs", { client_id: client.clientId })).toBe(1);
		expect(await usersOf(client.clientId)).toBe(1);
		expect(await emailsTo(client.email)).toBe(1);
	});

	it("creates one job even when several different events confirm the same payment", async () => {
		const client = await createClient();
		await Promise.all([
			postWebhook(payloadOf(checkoutCompleted(client))),
			postWebhook(payloadOf(subscriptionEvent("customer.subscription.created", client, "active"))),
			postWebhook(payloadOf(invoiceEvent("invoice.paid", client))),
		]);
		await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
		expect(await countOf("jobs", { client_id: client.clientId })).toBe(1);
		expect(await emailsTo(client.email)).toBe(1);
	});

	it("never lets an older subscription event overwrite newer state", async () => {
		const client = await createClient();
		const t = nowSeconds();
		await postWebhook(
			payloadOf(subscriptionEvent("customer.subscription.updated", client, "past_due", { created: t + 10 })),
		);
		await postWebhook(payloadOf(subscriptionEvent("customer.subscription.created", client, "active", { created: t })));
		const row = await env.DB.prepare("select subscription_status, subscription_event_at from clients where id = ?")
			.bind(client.clientId)
			.first();
		expect(row).toMatchObject({ subscription_status: "past_due", subscription_event_at: t + 10 });
		await postWebhook(
			payloadOf(subscriptionEvent("customer.subscription.deleted", client, "active", { created: t + 20 })),
		);
		const after = await env.DB.prepare("select subscription_status from clients where id = ?")
			.bind(client.clientId)
			.first();
		expect(after).toMatchObject({ subscription_status: "canceled" });
	});

	it("keeps a paid client paid when a late async-pending session event arrives", async () => {
		const client = await createClient();
		await postWebhook(
			payloadOf(
				envelope("checkout.session.async_payment_succeeded", {
					...checkoutCompleted(client).data.object,
					payment_status: "paid",
				}),
			),
		);
		await postWebhook(
			payloadOf(checkoutCompleted(client, { payment_status: "unpaid" }, { created: nowSeconds() - 60 })),
		);
		const row = await env.DB.prepare("select payment_status from clients where id = ?").bind(client.clientId).first();
		expect(row).toMatchObject({ payment_status: "paid" });
	});

	it("waits for async payment: completed-but-unpaid is confirming, then succeeded provisions", async () => {
		const client = await createClient();
		await postWebhook(payloadOf(checkoutCompleted(client, { payment_status: "unpaid" })));
		expect(await jobOf(client.clientId)).toBeNull();
		expect((await setupStatus(client)).body).toMatchObject({
			payment_state: "confirming",
			provisioning_state: "not_started",
		});
		const session = { ...checkoutCompleted(client).data.object, payment_status: "paid" };
		await postWebhook(payloadOf(envelope("checkout.session.async_payment_succeeded", session)));
		await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
	});

	it("marks an async payment failure unpaid with next action pay", async () => {
		const client = await createClient();
		await postWebhook(payloadOf(checkoutCompleted(client, { payment_status: "unpaid" })));
		const session = { ...checkoutCompleted(client).data.object, payment_status: "unpaid" };
		await postWebhook(payloadOf(envelope("checkout.session.async_payment_failed", session)));
		expect((await setupStatus(client)).body).toMatchObject({ payment_state: "unpaid", next_action: "pay" });
		expect(await jobOf(client.clientId)).toBeNull();
	});

	it("records invoice.payment_failed without provisioning", async () => {
		const client = await createClient();
		await postWebhook(payloadOf(invoiceEvent("invoice.payment_failed", client)));
		const row = await env.DB.prepare("select invoice_status from clients where id = ?").bind(client.clientId).first();
		expect(row).toMatchObject({ invoice_status: "payment_failed" });
		expect(await jobOf(client.clientId)).toBeNull();
	});

	it("never lets an older invoice event overwrite a newer one", async () => {
		const client = await createClient();
		const t = nowSeconds();
		await postWebhook(payloadOf(invoiceEvent("invoice.paid", client, { created: t + 10 })));
		await postWebhook(payloadOf(invoiceEvent("invoice.payment_failed", client, { created: t })));
		const row = await env.DB.prepare("select invoice_status, invoice_event_at from clients where id = ?")
			.bind(client.clientId)
			.first();
		expect(row).toMatchObject({ invoice_status: "paid", invoice_event_at: t + 10 });
	});

	it("settles a checkout that needed no payment and keeps the first paid time", async () => {
		const client = await createClient();
		await postWebhook(payloadOf(checkoutCompleted(client, { payment_status: "no_payment_required" })));
		const first = await env.DB.prepare(
			"select payment_status, paid_at, checkout_status, stripe_customer_id, subscription_id from clients where id = ?",
		)
			.bind(client.clientId)
			.first<{ paid_at: number }>();
		expect(first).toMatchObject({
			payment_status: "no_payment_required",
			checkout_status: "complete",
			stripe_customer_id: expect.stringMatching(/^cus_/),
			subscription_id: expect.stringMatching(/^sub_/),
		});
		expect(first?.paid_at).toBeGreaterThan(0);
		await postWebhook(payloadOf(subscriptionEvent("customer.subscription.created", client, "active")));
		const after = await env.DB.prepare("select payment_status, paid_at from clients where id = ?")
			.bind(client.clientId)
			.first();
		expect(after).toMatchObject({ payment_status: "no_payment_required", paid_at: first?.paid_at });
		expect(await jobOf(client.clientId)).not.toBeNull();
	});

	it("answers 200 and logs an ignored event type, recording it once", async () => {
		const event = envelope("customer.created", { id: "cus_x", object: "customer" });
		const logs = captureLogs();
		const response = await postWebhook(payloadOf(event));
		logs.restore();
		expect(response.status).toBe(200);
		expect(await response.json()).toMatchObject({ ignored: true });
		expect(logs.events("WEBHOOK_IGNORED")[0]).toMatchObject({ event_id: event.id, event_type: "customer.created" });
		expect(await countOf("webhook_events", { id: event.id })).toBe(1);
	});

	it("acknowledges an event for a client we do not know, changing nothing", async () => {
		const stranger = { clientId: crypto.randomUUID(), crn: "CRN-NONE-0000", sessionId: "cs_test_stranger" };
		const response = await postWebhook(payloadOf(checkoutCompleted(stranger)));
		expect(response.status).toBe(200);
		expect(await countOf("jobs", { client_id: stranger.clientId })).toBe(0);
	});

	it("finds the client by subscription id when the event carries no client_id", async () => {
		const client = await createClient();
		await postWebhook(payloadOf(checkoutCompleted(client)));
		const event = subscriptionEvent("customer.subscription.updated", client, "past_due");
		(event.data.object as { metadata: Record<string, string> }).metadata = {};
		expect((await postWebhook(payloadOf(event))).status).toBe(200);
		const row = await env.DB.prepare("select subscription_status from clients where id = ?")
			.bind(client.clientId)
			.first();
		expect(row).toMatchObject({ subscription_status: "past_due" });
	});
});
