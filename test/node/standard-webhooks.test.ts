// Our outgoing webhook signatures against the official `standardwebhooks`
// library (what the operator's app will verify with) and a fixed vector, so a
// change that breaks every receiver cannot pass unnoticed.
import { createHmac, randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { parseWebhookSecret, signStandardWebhook } from "../../src/app-webhooks/signature";

const secretOf = (bytes: number) => `whsec_${randomBytes(bytes).toString("base64")}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);
const body = JSON.stringify({
	type: "access.changed",
	timestamp: "2026-11-20T10:00:00.000Z",
	data: { crn: "CRN-ABCD-2345", access: "past_due" },
});

describe("Standard Webhooks signing", () => {
	it("produces headers the official library verifies", async () => {
		const secret = secretOf(32);
		const headers = await signStandardWebhook({ id: "msg_verified", timestamp: nowSeconds(), body, secret });
		expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
	});

	it("fails verification with another secret", async () => {
		const headers = await signStandardWebhook({ id: "msg_other", timestamp: nowSeconds(), body, secret: secretOf(32) });
		expect(() => new Webhook(secretOf(32)).verify(body, { ...headers })).toThrow();
	});

	it("fails verification when the body changes", async () => {
		const secret = secretOf(24);
		const headers = await signStandardWebhook({ id: "msg_body", timestamp: nowSeconds(), body, secret });
		expect(() => new Webhook(secret).verify(body.replace("past_due", "active"), { ...headers })).toThrow();
	});

	it("fails verification when the timestamp changes", async () => {
		const secret = secretOf(64);
		const timestamp = nowSeconds();
		const headers = await signStandardWebhook({ id: "msg_time", timestamp, body, secret });
		// One second later is well inside the library's tolerance: only the signature can refuse it.
		const moved = { ...headers, "webhook-timestamp": String(timestamp + 1) };
		expect(() => new Webhook(secret).verify(body, moved)).toThrow();
	});

	it("matches a vector computed with node:crypto", async () => {
		// The example in the Standard Webhooks specification; the expected value was computed once with
		// createHmac("sha256", base64-decoded key).update(`${id}.${timestamp}.${body}`) and agrees with it.
		const vector = {
			id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
			timestamp: 1614265330,
			body: '{"test": 2432232314}',
			secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		};
		const expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
		const key = Buffer.from(vector.secret.slice("whsec_".length), "base64");
		const recomputed = createHmac("sha256", key)
			.update(`${vector.id}.${vector.timestamp}.${vector.body}`)
			.digest("base64");
		expect(`v1,${recomputed}`).toBe(expected);
		expect(await signStandardWebhook(vector)).toEqual({
			"webhook-id": vector.id,
			"webhook-timestamp": "1614265330",
			"webhook-signature": expected,
		});
	});

	it("reads a well-formed secret's key bytes", () => {
		const key = randomBytes(32);
		expect(parseWebhookSecret(`whsec_${key.toString("base64")}`)).toEqual(new Uint8Array(key));
	});

	it.each([
		["no prefix", randomBytes(32).toString("base64")],
		["a Stripe-style secret", "whsec_suiteSecretPrimary0000000000000"],
		["not base64", "whsec_not*base64*at*all*not*base64*at*all"],
		["a key under 24 bytes", secretOf(16)],
		["a key over 64 bytes", secretOf(65)],
		["an empty key", "whsec_"],
	])("refuses %s", (_label, secret) => {
		expect(parseWebhookSecret(secret)).toBeNull();
	});

	it("refuses to sign with a malformed secret", async () => {
		await expect(
			signStandardWebhook({ id: "msg_bad", timestamp: nowSeconds(), body, secret: "whsec_short" }),
		).rejects.toThrow(/whsec_/);
	});
});
