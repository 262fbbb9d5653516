// Development-only tools, live only under `npm run dev` with no Stripe key:
// a checkout stand-in whose "Pay" posts a correctly signed
// checkout.session.completed to the real webhook route, and an outbox viewer.
// Everywhere else every /dev and /api/dev path is a 404, and so is a request
// whose own host is not loopback: a configured APP_URL alone proves nothing
// about where the worker actually runs.

import { createMiddleware } from "hono/factory";
import { Hono } from "hono/tiny";
import { getConfig } from "../config";
import { findClientBySessionId } from "../db/clients";
import { listOutbox } from "../db/outbox";
import { deps } from "../deps";
import { type AppEnv, jsonError, readJsonObject } from "../http";
import { isLoopbackOrigin } from "../origins";
import { devSubscription, paidCheckoutSession, signedEvent, stripeEvent } from "../stripe/event-kit";
import { stripeWebhookRoutes } from "./stripe-webhook";

export const devRoutes = new Hono<AppEnv>();

const devOnly = createMiddleware<AppEnv>(async (c, next) => {
	if (!getConfig(c.env).devTools || !isLoopbackOrigin(c.req.url)) {
		return jsonError(c, 404, "not_found", "No such route.");
	}
	await next();
});

devRoutes.use("/dev/*", devOnly);
devRoutes.use("/api/dev/*", devOnly);

// The pages themselves are static assets; the worker runs first to gate them.
// Re-wrapped because an asset response's headers are immutable.
devRoutes.get("/dev/*", async (c) => {
	const asset = await c.env.ASSETS.fetch(c.req.raw);
	return new Response(asset.body, asset);
});

devRoutes.get("/api/dev/checkout/:id", async (c) => {
	const { config, db } = deps(c.env);
	const client = await findClientBySessionId(db, c.req.param("id"));
	if (!client) return jsonError(c, 404, "not_found", "No such checkout session.");
	const plan = config.plans.get(client.planCode);
	return c.json({
		id: client.checkoutSessionId,
		email: client.email,
		plan_code: client.planCode,
		plan_name: plan?.name ?? client.planCode,
		amount_display: plan?.priceDisplay ?? "",
		paid: client.checkoutStatus === "complete",
	});
});

devRoutes.post("/api/dev/checkout/:id/pay", async (c) => {
	const d = deps(c.env);
	const { config } = d;
	const client = await findClientBySessionId(d.db, c.req.param("id"));
	if (!client?.checkoutSessionId) return jsonError(c, 404, "not_found", "No such checkout session.");
	const body = await readJsonObject(c);
	const success = typeof body?.success_url === "string" ? body.success_url : "";
	// Only ever back to our own onboarding page: no open redirect.
	const redirect = success.startsWith(`${config.appUrl}/onboarding?t=`) ? success : `${config.appUrl}/`;

	const now = Math.floor(d.clock() / 1000);
	const session = paidCheckoutSession(
		{
			clientId: client.id,
			crn: client.crn,
			planCode: client.planCode,
			sessionId: client.checkoutSessionId,
			email: client.email,
			name: client.name,
		},
		now,
		{ success_url: redirect },
	);
	const event = stripeEvent("checkout.session.completed", session, { created: now });
	// What Stripe sends for a paid subscription checkout: the session, then the subscription.
	const subscriptionCreated = stripeEvent(
		"customer.subscription.created",
		devSubscription(client.id, "active", now, session.metadata),
		{ created: now },
	);
	for (const delivery of [event, subscriptionCreated]) {
		const { payload, signature } = await signedEvent(delivery, config.webhookSecrets[0] ?? "", now);
		// Through the real webhook route: signature, ledger, batch, enqueue.
		const response = await stripeWebhookRoutes.fetch(
			new Request(new URL("/stripe", c.req.url), {
				method: "POST",
				headers: { "content-type": "application/json", "stripe-signature": signature },
				body: payload,
			}),
			c.env,
			c.executionCtx,
		);
		if (!response.ok) {
			return jsonError(c, 502, "webhook_failed", `The webhook route answered ${response.status}.`);
		}
	}
	return c.json({ redirect_url: redirect, event_id: event.id });
});

devRoutes.get("/api/dev/outbox", async (c) => {
	const messages = await listOutbox(deps(c.env).db, 50);
	return c.json({
		messages: messages.map((m) => ({
			id: m.id,
			to: m.toAddress,
			subject: m.subject,
			text: m.textBody,
			links: m.textBody.match(/https?:\/\/\S+/g) ?? [],
			created_at: new Date(m.createdAt).toISOString(),
		})),
	});
});
