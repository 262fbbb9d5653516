import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
	checkoutCompleted,
	checkoutSessionObject,
	createClient,
	customerWithPassword,
	envelope,
	login,
	me,
	nowSeconds,
	paidClient,
	payloadOf,
	postWebhook,
	setupStatus,
	subscriptionEvent,
} from "./support/helpers";

const PASSWORD = "a long and unusual passphrase";

async function loggedInCustomer() {
	const paid = await customerWithPassword(PASSWORD);
	const { cookie } = await login(paid.client.email, PASSWORD);
	return { ...paid, cookie };
}

async function subscriptionOf(clientId: string) {
	return env.DB.prepare("select subscription_status from clients where id = ?")
		.bind(clientId)
		.first<string>("subscription_status");
}

describe("subscription status and access", () => {
	it("reads active after checkout.session.completed alone", async () => {
		const { client, cookie } = await loggedInCustomer();
		const account = await me(cookie);
		expect(account.body.subscriptions).toEqual([
			{
				crn: client.crn,
				plan_code: "starter",
				plan_name: "Starter",
				status: "active",
				access: "active",
				reason: "paid",
				current_period_end: null,
				grace_ends_at: null,
				added_to_existing_login: false,
			},
		]);
		expect(account.body).toMatchObject({ subscription_status: "active", payment_state: "paid" });
	});

	it("follows a failed renewal to past_due and a cancellation to ended", async () => {
		const { client, cookie } = await loggedInCustomer();
		const t = nowSeconds() + 5;
		await postWebhook(
			payloadOf(subscriptionEvent("customer.subscription.updated", client, "past_due", { created: t })),
		);
		expect((await me(cookie)).body.subscriptions[0]).toMatchObject({
			status: "past_due",
			access: "past_due",
			reason: "payment_failed",
		});
		await postWebhook(
			payloadOf(subscriptionEvent("customer.subscription.updated", client, "unpaid", { created: t + 1 })),
		);
		// Stripe gave up collecting: access is suspended whatever is left of the grace period.
		expect((await me(cookie)).body.subscriptions[0]).toMatchObject({
			status: "unpaid",
			access: "suspended",
			reason: "grace_over",
		});
		await postWebhook(
			payloadOf(subscriptionEvent("customer.subscription.deleted", client, "canceled", { created: t + 2 })),
		);
		expect((await me(cookie)).body.subscriptions[0]).toMatchObject({
			status: "canceled",
			access: "ended",
			reason: "canceled",
		});
		// Still a login: the Billing Portal stays reachable for invoices.
		expect((await me(cookie)).status).toBe(200);
	});

	it("lets a terminal status win a same-second tie, in either arrival order", async () => {
		for (const order of [
			["updated", "deleted"],
			["deleted", "updated"],
		] as const) {
			const { client } = await paidClient();
			const t = nowSeconds() + 10;
			const events = {
				updated: subscriptionEvent("customer.subscription.updated", client, "active", { created: t }),
				deleted: subscriptionEvent("customer.subscription.deleted", client, "canceled", { created: t }),
			};
			for (const name of order) expect((await postWebhook(payloadOf(events[name]))).status).toBe(200);
			expect(await subscriptionOf(client.clientId), order.join(" then ")).toBe("canceled");
		}
	});

	it("never lets incomplete replace a paid status, in either arrival order", async () => {
		for (const order of [
			["checkout", "created"],
			["created", "checkout"],
		] as const) {
			const client = await createClient();
			const t = nowSeconds();
			const events = {
				checkout: checkoutCompleted(client, {}, { created: t }),
				created: subscriptionEvent("customer.subscription.created", client, "incomplete", { created: t }),
			};
			for (const name of order) await postWebhook(payloadOf(events[name]));
			expect(await subscriptionOf(client.clientId), order.join(" then ")).toBe("active");
		}
	});

	it("keeps a cancelled subscription ended even when an older or stray active event arrives later", async () => {
		const { client } = await paidClient();
		const t = nowSeconds() + 20;
		await postWebhook(
			payloadOf(subscriptionEvent("customer.subscription.deleted", client, "canceled", { created: t })),
		);
		await postWebhook(
			payloadOf(subscriptionEvent("customer.subscription.updated", client, "active", { created: t - 5 })),
		);
		await postWebhook(
			payloadOf(subscriptionEvent("customer.subscription.updated", client, "active", { created: t + 5 })),
		);
		expect(await subscriptionOf(client.clientId)).toBe("canceled");
	});
});

describe("a checkout that ends without payment", () => {
	it("reads unpaid with next action pay after checkout.session.expired", async () => {
		const client = await createClient();
		await setupStatus(client); // the customer came back from Checkout
		const expired = envelope(
			"checkout.session.expired",
			checkoutSessionObject(client, { status: "expired", payment_status: "unpaid", subscription: null }),
		);
		expect((await postWebhook(payloadOf(expired))).status).toBe(200);
		expect((await setupStatus(client)).body).toMatchObject({
			payment_state: "unpaid",
			provisioning_state: "not_started",
			next_action: "pay",
			plan_code: "starter",
		});
		expect(
			await env.DB.prepare("select checkout_status from clients where id = ?")
				.bind(client.clientId)
				.first("checkout_status"),
		).toBe("expired");
	});

	it("reads unpaid with next action pay after an asynchronous payment fails", async () => {
		const client = await createClient();
		const pending = checkoutSessionObject(client, { payment_status: "unpaid" });
		await postWebhook(payloadOf(envelope("checkout.session.completed", pending)));
		expect((await setupStatus(client)).body).toMatchObject({ payment_state: "confirming" });
		await postWebhook(payloadOf(envelope("checkout.session.async_payment_failed", pending)));
		expect((await setupStatus(client)).body).toMatchObject({ payment_state: "unpaid", next_action: "pay" });
	});
});
