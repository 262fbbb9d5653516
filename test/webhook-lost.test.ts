import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
	captureLogs,
	checkoutCompleted,
	checkoutSessionObject,
	countOf,
	createClient,
	envWith,
	payloadOf,
	postWebhook,
	setupStatus,
	standInControl,
	standInRequests,
	uniqueId,
	waitForJobState,
} from "./support/helpers";

/** Each test has its own Stripe account at the stand-in. */
function isolatedStripe() {
	const key = `sk_test_${uniqueId("lost")}`;
	return { key, env: envWith({ STRIPE_SECRET_KEY: key }) };
}

describe("webhook late or lost", () => {
	beforeEach(() => {
		vi.useFakeTimers({ toFake: ["Date"] });
	});
	afterEach(() => {
		vi.useRealTimers();
	});

	it("confirms the payment with Stripe while confirming, provisions, and a late webhook changes nothing", async () => {
		const stripe = isolatedStripe();
		const client = await createClient({}, stripe.env);
		const start = Date.now();
		vi.setSystemTime(start);
		expect((await setupStatus(client, stripe.env)).body).toMatchObject({ payment_state: "confirming" });

		// Stripe flips the session to paid; no webhook arrives.
		await standInControl("session", { key: stripe.key, id: client.sessionId, patch: checkoutSessionObject(client) });
		vi.setSystemTime(start + 1_000);
		expect((await setupStatus(client, stripe.env)).body).toMatchObject({ payment_state: "confirming" });
		expect(await standInRequests(`/v1/checkout/sessions/${client.sessionId}`)).toHaveLength(0);

		vi.setSystemTime(start + 4_000);
		const logs = captureLogs();
		const synced = await setupStatus(client, stripe.env);
		logs.restore();
		expect(synced.body).toMatchObject({
			payment_state: "paid",
			provisioning_state: expect.stringMatching(/queued|running|completed/),
		});
		expect(logs.events("PAYMENT_CONFIRMED_BY_SYNC")[0]).toMatchObject({
			client_id: client.clientId,
			checkout_session_id: client.sessionId,
		});

		vi.useRealTimers();
		const job = await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
		expect(job.source).toBe("sync");
		expect((await setupStatus(client, stripe.env)).body).toMatchObject({ provisioning_state: "completed" });

		const late = await postWebhook(payloadOf(checkoutCompleted(client)), { env: stripe.env });
		expect(late.status).toBe(200);
		expect(await countOf("jobs", { client_id: client.clientId })).toBe(1);
		expect(await countOf("outbox", { to_address: client.email })).toBe(1);
	});

	it("says unpaid with next action pay when Stripe reports the session still open", async () => {
		const stripe = isolatedStripe();
		const client = await createClient({}, stripe.env);
		const start = Date.now();
		vi.setSystemTime(start);
		expect((await setupStatus(client, stripe.env)).body).toMatchObject({ payment_state: "confirming" });
		vi.setSystemTime(start + 4_000);
		expect((await setupStatus(client, stripe.env)).body).toMatchObject({ payment_state: "unpaid", next_action: "pay" });
		// It stays so on later polls; a payment that does arrive still wins.
		vi.setSystemTime(start + 5_000);
		expect((await setupStatus(client, stripe.env)).body).toMatchObject({ payment_state: "unpaid" });
		await postWebhook(payloadOf(checkoutCompleted(client)), { env: stripe.env });
		expect((await setupStatus(client, stripe.env)).body).toMatchObject({ payment_state: "paid" });
	});

	it("asks Stripe at most once per interval however often the page polls", async () => {
		const stripe = isolatedStripe();
		const client = await createClient({}, stripe.env);
		// Completed with an asynchronous payment still pending: "confirming" for a while.
		await standInControl("session", {
			key: stripe.key,
			id: client.sessionId,
			patch: checkoutSessionObject(client, { payment_status: "unpaid" }),
		});
		const start = Date.now();
		vi.setSystemTime(start);
		await setupStatus(client, stripe.env);
		for (let i = 0; i < 10; i++) {
			vi.setSystemTime(start + 4_000 + i * 100);
			await setupStatus(client, stripe.env);
		}
		expect(await standInRequests(`/v1/checkout/sessions/${client.sessionId}`)).toHaveLength(1);
		vi.setSystemTime(start + 4_000 + 5_001);
		await setupStatus(client, stripe.env);
		expect(await standInRequests(`/v1/checkout/sessions/${client.sessionId}`)).toHaveLength(2);
	});

	it("makes no Stripe call once a session is settled", async () => {
		const stripe = isolatedStripe();
		const client = await createClient({}, stripe.env);
		await postWebhook(payloadOf(checkoutCompleted(client)), { env: stripe.env });
		vi.useRealTimers();
		await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
		for (let i = 0; i < 3; i++) await setupStatus(client, stripe.env);
		expect(await standInRequests(`/v1/checkout/sessions/${client.sessionId}`)).toHaveLength(0);
	});

	it("keeps answering when Stripe is down, and logs it", async () => {
		const stripe = isolatedStripe();
		const client = await createClient({}, stripe.env);
		await standInControl("fail", { key: stripe.key, path: "/v1/checkout/sessions/", times: 1 });
		const start = Date.now();
		vi.setSystemTime(start);
		await setupStatus(client, stripe.env);
		vi.setSystemTime(start + 4_000);
		const logs = captureLogs();
		const answer = await setupStatus(client, stripe.env);
		logs.restore();
		expect(answer.status).toBe(200);
		expect(answer.body).toMatchObject({ payment_state: "confirming" });
		expect(logs.events("STRIPE_SYNC_FAILED")).toHaveLength(1);
	});
});
