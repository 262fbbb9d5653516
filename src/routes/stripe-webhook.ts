// POST /api/webhook/stripe (mounted at /api/webhook and its alias
// /api/webhooks, see rules/stripe-endpoint.ts): raw body under 1 MiB, signature,
// livemode, then one payment batch and one enqueue. Provisioning never runs
// here: Checkout waits for this response before redirecting.

import { bodyLimit } from "hono/body-limit";
import { Hono } from "hono/tiny";
import { deps } from "../deps";
import { type AppEnv, jsonError } from "../http";
import { errorMessage, log } from "../log";
import { applyStripeEvent, ledgerEntryFor } from "../onboarding/payments";
import { MAX_WEBHOOK_BYTES } from "../rules/stripe-endpoint";
import { changeFromEvent, parseEvent } from "../stripe/events";
import { resolvePlanPrices } from "../stripe/plan-prices";
import { verifyStripeSignature } from "../stripe/signature";

export const stripeWebhookRoutes = new Hono<AppEnv>();

const limit = bodyLimit({
	maxSize: MAX_WEBHOOK_BYTES,
	onError: (c) => {
		log("WEBHOOK_REJECTED", { reason: "payload_too_large" });
		return jsonError(c, 413, "payload_too_large", "Webhook body exceeds 1 MiB");
	},
});

stripeWebhookRoutes.post("/stripe", limit, async (c) => {
	const d = deps(c.env);
	const { config } = d;
	if (config.webhookSecrets.length === 0) {
		// 500 so Stripe keeps retrying while the operator fixes the secret.
		log("CONFIG_ERROR", {
			check: "webhook_secret",
			hint: config.problems.find((p) => p.name === "webhook_secret")?.hint ?? "no webhook secret configured",
		});
		return jsonError(c, 500, "webhook_not_configured", "Webhook secret is not configured");
	}

	const raw = new Uint8Array(await c.req.arrayBuffer());
	const now = d.clock();
	const signature = await verifyStripeSignature(
		raw,
		c.req.header("stripe-signature"),
		config.webhookSecrets,
		Math.floor(now / 1000),
	);
	if (!signature.ok) {
		log("WEBHOOK_SIGNATURE_INVALID", {
			reason: signature.reason,
			configured_from: config.webhookSecretSource,
			slots: config.webhookSecrets.length,
		});
		return jsonError(c, 400, "invalid_signature", "Invalid webhook signature");
	}

	const text = new TextDecoder().decode(raw);
	const event = parseEvent(text);
	if (!event) {
		log("WEBHOOK_REJECTED", { reason: "malformed_event" });
		return jsonError(c, 400, "malformed_event", "Body is not a Stripe event");
	}
	if (event.livemode !== (config.mode === "live")) {
		log("WEBHOOK_REJECTED", {
			reason: "livemode_mismatch",
			event_id: event.id,
			event_livemode: event.livemode,
			mode: config.mode,
		});
		return jsonError(
			c,
			400,
			"livemode_mismatch",
			`A ${event.livemode ? "live" : "test"} event reached a ${config.mode} deployment`,
		);
	}

	const change = changeFromEvent(event);
	log("WEBHOOK_RECEIVED", {
		event_id: event.id,
		event_type: event.type,
		livemode: event.livemode,
		client_id: change?.clientId ?? null,
		subscription_id: change?.subscriptionId ?? null,
		checkout_session_id: change?.checkoutSessionId ?? null,
		matched_slot: signature.slot,
	});

	// A subscription's price names its plan; with lookup_key plans that needs their price ids (once per isolate).
	if (change?.subscription?.priceId) await resolvePlanPrices(config, d.stripe);
	try {
		const outcome = await applyStripeEvent({ ...d, now }, ledgerEntryFor(event), change);
		if (outcome.status === "ignored") {
			log("WEBHOOK_IGNORED", { event_id: event.id, event_type: event.type, duplicate: outcome.duplicate });
			return c.json({ received: true, ignored: true });
		}
		log("WEBHOOK_PROCESSED_OK", {
			event_id: event.id,
			event_type: event.type,
			client_id: "clientId" in outcome ? (outcome.clientId ?? null) : null,
			outcome: outcome.status,
		});
		return c.json({ received: true, duplicate: outcome.status === "duplicate" });
	} catch (error) {
		log("WEBHOOK_PROCESSING_FAILED", { event_id: event.id, event_type: event.type, error: errorMessage(error) });
		return jsonError(c, 500, "processing_failed", "The event could not be processed; Stripe will retry it");
	}
});
