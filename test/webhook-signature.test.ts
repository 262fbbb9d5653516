import { describe, expect, it } from "vitest";
import {
	captureLogs,
	checkoutCompleted,
	createClient,
	envWith,
	expectNoSecrets,
	nowSeconds,
	payloadOf,
	postWebhook,
	signatureFor,
	WEBHOOK_SECRET,
} from "./support/helpers";

async function paidEventFor() {
	const client = await createClient();
	return { client, payload: payloadOf(checkoutCompleted(client)) };
}

describe("webhook signature", () => {
	it("accepts a correctly signed event", async () => {
		const { payload } = await paidEventFor();
		const response = await postWebhook(payload);
		expect(response.status).toBe(200);
		expect(await response.json()).toMatchObject({ received: true });
	});

	it("accepts the /api/webhooks/stripe alias", async () => {
		const { payload } = await paidEventFor();
		expect((await postWebhook(payload, { path: "/api/webhooks/stripe" })).status).toBe(200);
	});

	it("rejects a tampered body with 400 invalid_signature", async () => {
		const { payload } = await paidEventFor();
		const signature = await signatureFor(payload);
		const logs = captureLogs();
		const response = await postWebhook(payload.replace('"paid"', '"unpaid"'), { signature });
		logs.restore();
		expect(response.status).toBe(400);
		expect(await response.json()).toEqual({ error: "invalid_signature", message: "Invalid webhook signature" });
		expect(logs.events("WEBHOOK_SIGNATURE_INVALID")[0]).toMatchObject({ reason: "mismatch" });
		expectNoSecrets(logs.lines.join("\n"));
	});

	it("rejects a timestamp older than 300 s", async () => {
		const { payload } = await paidEventFor();
		const logs = captureLogs();
		const response = await postWebhook(payload, {
			signature: await signatureFor(payload, WEBHOOK_SECRET, nowSeconds() - 301),
		});
		logs.restore();
		expect(response.status).toBe(400);
		expect(logs.events("WEBHOOK_SIGNATURE_INVALID")[0]).toMatchObject({ reason: "stale_timestamp" });
	});

	it("rejects a timestamp more than 300 s in the future", async () => {
		const { payload } = await paidEventFor();
		const logs = captureLogs();
		const response = await postWebhook(payload, {
			signature: await signatureFor(payload, WEBHOOK_SECRET, nowSeconds() + 301),
		});
		logs.restore();
		expect(response.status).toBe(400);
		expect(logs.events("WEBHOOK_SIGNATURE_INVALID")[0]).toMatchObject({ reason: "future_timestamp" });
	});

	it("accepts a timestamp just inside the tolerance", async () => {
		const { payload } = await paidEventFor();
		const response = await postWebhook(payload, {
			signature: await signatureFor(payload, WEBHOOK_SECRET, nowSeconds() - 290),
		});
		expect(response.status).toBe(200);
	});

	it("rejects a missing Stripe-Signature header", async () => {
		const { payload } = await paidEventFor();
		const logs = captureLogs();
		const response = await postWebhook(payload, { signature: null });
		logs.restore();
		expect(response.status).toBe(400);
		expect(logs.events("WEBHOOK_SIGNATURE_INVALID")[0]).toMatchObject({ reason: "missing_header" });
	});

	it("rejects a malformed header", async () => {
		const { payload } = await paidEventFor();
		expect((await postWebhook(payload, { signature: "garbage" })).status).toBe(400);
		expect((await postWebhook(payload, { signature: `t=${nowSeconds()},v1=zz` })).status).toBe(400);
	});

	it("accepts when the second v1 signature matches", async () => {
		const { payload } = await paidEventFor();
		const good = await signatureFor(payload);
		const [t, v1] = good.split(",");
		const response = await postWebhook(payload, { signature: `${t},v1=${"0".repeat(64)},${v1}` });
		expect(response.status).toBe(200);
	});

	it("accepts any secret of a rotation list and logs which slot matched", async () => {
		const { payload } = await paidEventFor();
		const rotated = envWith({ STRIPE_WEBHOOK_SECRET_TEST: `whsec_oldSecret1111111111111111, ${WEBHOOK_SECRET}` });
		const logs = captureLogs();
		const response = await postWebhook(payload, { env: rotated });
		logs.restore();
		expect(response.status).toBe(200);
		expect(logs.events("WEBHOOK_RECEIVED")[0]).toMatchObject({ matched_slot: 1 });
		expectNoSecrets(logs.lines.join("\n"));
	});

	it("rejects an event signed with the secret of the other mode", async () => {
		const { payload } = await paidEventFor();
		const liveSecret = "whsec_liveModeSecret2222222222222222";
		const configured = envWith({ STRIPE_WEBHOOK_SECRET_LIVE: liveSecret });
		const response = await postWebhook(payload, {
			env: configured,
			signature: await signatureFor(payload, liveSecret),
		});
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({ error: "invalid_signature" });
	});

	it("picks STRIPE_WEBHOOK_SECRET_LIVE for a live key, falling back to STRIPE_WEBHOOK_SECRET", async () => {
		const { client } = await paidEventFor();
		const liveEvent = payloadOf(checkoutCompleted(client, { livemode: true }, { livemode: true }));
		const live = envWith({
			STRIPE_SECRET_KEY: "sk_live_suiteLiveKey000000000000",
			STRIPE_WEBHOOK_SECRET_LIVE: "whsec_liveOnly3333333333333333",
		});
		expect((await postWebhook(liveEvent, { env: live, signature: await signatureFor(liveEvent) })).status).toBe(400);
		expect(
			(
				await postWebhook(liveEvent, {
					env: live,
					signature: await signatureFor(liveEvent, "whsec_liveOnly3333333333333333"),
				})
			).status,
		).toBe(200);

		const fallback = envWith({
			STRIPE_SECRET_KEY: "rk_live_suiteRestricted0000000000",
			STRIPE_WEBHOOK_SECRET: "whsec_fallback444444444444444444",
		});
		const again = payloadOf(checkoutCompleted(client, { livemode: true }, { livemode: true }));
		expect(
			(
				await postWebhook(again, {
					env: fallback,
					signature: await signatureFor(again, "whsec_fallback444444444444444444"),
				})
			).status,
		).toBe(200);
	});

	it("rejects a test event reaching a live deployment (livemode mismatch)", async () => {
		const { payload } = await paidEventFor();
		const live = envWith({
			STRIPE_SECRET_KEY: "sk_live_suiteLiveKey000000000000",
			STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
		});
		const logs = captureLogs();
		const response = await postWebhook(payload, { env: live });
		logs.restore();
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({ error: "livemode_mismatch" });
		expect(logs.events("WEBHOOK_REJECTED")[0]).toMatchObject({ reason: "livemode_mismatch", mode: "live" });
	});

	it("answers 500 and logs CONFIG_ERROR when no secret is configured", async () => {
		const { payload } = await paidEventFor();
		const bare = envWith({ STRIPE_WEBHOOK_SECRET_TEST: "", STRIPE_WEBHOOK_SECRET: "" });
		const logs = captureLogs();
		const response = await postWebhook(payload, { env: bare });
		logs.restore();
		expect(response.status).toBe(500);
		expect(await response.json()).toMatchObject({ error: "webhook_not_configured" });
		const configErrors = logs.events("CONFIG_ERROR");
		expect(configErrors.some((e) => String(e.hint).includes("STRIPE_WEBHOOK_SECRET_TEST"))).toBe(true);
	});

	it("answers 413 for a body over 1 MiB and keeps serving", async () => {
		const { payload } = await paidEventFor();
		const big = JSON.stringify({ padding: "x".repeat(1024 * 1024 + 10) });
		const response = await postWebhook(big, { signature: await signatureFor(big) });
		expect(response.status).toBe(413);
		expect(await response.json()).toMatchObject({ error: "payload_too_large" });
		expect((await postWebhook(payload)).status).toBe(200);
	});

	it("answers 400 for a signed body that is not a Stripe event", async () => {
		for (const body of [
			"not json",
			"[]",
			'{"id":"evt_1"}',
			'{"id":"x","type":"t","created":1,"livemode":false,"data":{"object":{}}}',
		]) {
			const response = await postWebhook(body, { signature: await signatureFor(body) });
			expect(response.status).toBe(400);
			expect(await response.json()).toMatchObject({ error: "malformed_event" });
		}
	});
});
