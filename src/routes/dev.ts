// Development-only tools, live only under `npm run dev` with no Stripe key
// (and only in local builds: src/app.ts): a checkout stand-in whose "Pay"
// posts a correctly signed checkout.session.completed to the real webhook
// route, money moves on a plan posted the same way, a hosted-invoice
// stand-in, and an outbox viewer. Everywhere else every /dev and /api/dev
// path is a 404, and so is a request whose own host is not loopback: a
// configured APP_URL alone proves nothing about where the worker actually
// runs. The events and views are built in src/dev-tools/.
import { createMiddleware } from "hono/factory";
import { Hono } from "hono/tiny";
import { getConfig } from "../config";
import { deps } from "../deps";
import { DEV_MONEY_EVENTS, isMoneyEvent, moneyEventsFor, planNow } from "../dev-tools/money-events";
import { checkoutView, devPlansView, outboxView, paidCheckoutEvents } from "../dev-tools/views";
import { type AppContext, type AppEnv, jsonError, readJsonObject } from "../http";
import { isLoopbackOrigin } from "../origins";
import { signedEvent } from "../stripe/event-kit";
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

/**
 * Posts each event, signed with the configured webhook secret, through the real
 * webhook route (signature, ledger, batch, enqueue), in order. A failure
 * answer, or null when every delivery was accepted.
 */
async function deliver(c: AppContext, events: { id: string }[], now: number): Promise<Response | null> {
	const secret = getConfig(c.env).webhookSecrets[0] ?? "";
	for (const delivery of events) {
		const { payload, signature } = await signedEvent(delivery, secret, now);
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
	return null;
}

devRoutes.get("/api/dev/checkout/:id", async (c) => {
	const { config, db } = deps(c.env);
	const view = await checkoutView(db, config, c.req.param("id"));
	return view ? c.json(view) : jsonError(c, 404, "not_found", "No such checkout session.");
});

devRoutes.post("/api/dev/checkout/:id/pay", async (c) => {
	const d = deps(c.env);
	const body = await readJsonObject(c);
	const now = Math.floor(d.clock() / 1000);
	const success = typeof body?.success_url === "string" ? body.success_url : "";
	const paid = await paidCheckoutEvents(d.db, d.config, c.req.param("id"), success, now);
	if (!paid) return jsonError(c, 404, "not_found", "No such checkout session.");
	const failed = await deliver(c, paid.events, now);
	if (failed) return failed;
	return c.json({ redirect_url: paid.redirect, event_id: paid.events[0]?.id });
});

devRoutes.get("/api/dev/outbox", async (c) => c.json(await outboxView(deps(c.env).db)));

/** Recent plans with a login, to pick one to move money on. */
devRoutes.get("/api/dev/plans", async (c) => {
	const d = deps(c.env);
	return c.json(await devPlansView(d.db, d.config, d.clock()));
});

devRoutes.post("/api/dev/plans/:crn/events", async (c) => {
	const d = deps(c.env);
	const body = await readJsonObject(c);
	const name = body?.event;
	if (!isMoneyEvent(name)) {
		return jsonError(c, 400, "invalid_event", `event must be one of ${DEV_MONEY_EVENTS.join(", ")}.`);
	}
	const crn = c.req.param("crn");
	const nowMs = d.clock();
	const built = await moneyEventsFor(d.db, d.config, crn, name, nowMs);
	if (!built.ok) {
		switch (built.reason) {
			case "not_found":
				return jsonError(c, 404, "not_found", "No plan with this CRN.");
			case "not_a_subscription":
				return jsonError(
					c,
					409,
					"not_a_subscription",
					"This is a one-time purchase: it has no renewals, trial or cancellation.",
				);
			case "no_open_dispute":
				return jsonError(c, 409, "no_open_dispute", "This plan has no open dispute: open one first.");
		}
	}
	const failed = await deliver(c, built.events, Math.floor(nowMs / 1000));
	if (failed) return failed;
	return c.json({
		event: name,
		stripe_events: built.events.map((e) => ({ id: e.id, type: e.type })),
		plan: await planNow(d.db, d.config, crn, d.clock()),
	});
});
