// Operator routes behind `Authorization: Bearer ADMIN_TOKEN`: configuration
// doctor, find and unstick jobs, look a client up by CRN, replay an event.
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import type Stripe from "stripe";
import { getConfig } from "../config";
import { timingSafeEqualStrings } from "../crypto";
import { findUserByClient } from "../db/accounts";
import { findClientByCrn } from "../db/clients";
import { findJobByClient, resetJob } from "../db/jobs";
import { ledgerForClient, listJobs } from "../db/ops";
import { outboxFor } from "../db/outbox";
import { deps } from "../deps";
import { runChecks } from "../doctor";
import { type AppEnv, jsonError } from "../http";
import { log } from "../log";
import { applyPaymentChange } from "../onboarding/payments";
import { provisionMessage } from "../onboarding/provisioning-message";
import { deriveSetupStatus } from "../onboarding/setup-status";
import { jobStateFor } from "../rules/job-states";
import { StripeApiError } from "../stripe/api";
import { changeFromEvent, parseEvent } from "../stripe/events";

export const adminRoutes = new Hono<AppEnv>();

const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
	const expected = getConfig(c.env).adminToken;
	if (!expected) return jsonError(c, 503, "admin_disabled", "ADMIN_TOKEN is not set: wrangler secret put ADMIN_TOKEN");
	const header = c.req.header("authorization") ?? "";
	const presented = header.startsWith("Bearer ") ? header.slice(7) : "";
	if (!presented || !timingSafeEqualStrings(presented, expected)) {
		return jsonError(c, 401, "unauthorized", "A valid admin bearer token is required.");
	}
	await next();
});

adminRoutes.use("/admin/*", requireAdmin);

adminRoutes.get("/admin/health", async (c) => {
	const d = deps(c.env);
	const checks = await runChecks({ ...d, env: c.env, now: d.clock() });
	return c.json({ ok: checks.every((check) => check.ok), mode: d.config.mode, checks });
});

adminRoutes.get("/admin/jobs", async (c) => {
	const status = c.req.query("status");
	const state = status ? jobStateFor(status) : undefined;
	if (status && !state) {
		return jsonError(c, 400, "invalid_status", "status must be queued, running, completed or failed.");
	}
	const limit = Math.min(200, Math.max(1, Number(c.req.query("limit") ?? 50) || 50));
	return c.json({ jobs: await listJobs(deps(c.env).db, state, limit) });
});

adminRoutes.post("/admin/jobs/:id/retry", async (c) => {
	const d = deps(c.env);
	const job = await resetJob(d.db, c.req.param("id"), d.clock());
	if (!job) return jsonError(c, 409, "not_retryable", "No such job, or it already completed.");
	await d.queue.send(provisionMessage(job.id, job.clientId), { contentType: "json" });
	log("ADMIN_ACTION", { action: "retry_job", job_id: job.id, client_id: job.clientId });
	return c.json({ job: { id: job.id, client_id: job.clientId, state: job.state } }, 202);
});

adminRoutes.get("/admin/clients/:crn", async (c) => {
	const { db } = deps(c.env);
	const client = await findClientByCrn(db, c.req.param("crn").toUpperCase());
	if (!client) return jsonError(c, 404, "not_found", "No client with this CRN.");
	const [job, user, events, emails] = await Promise.all([
		findJobByClient(db, client.id),
		findUserByClient(db, client.id),
		ledgerForClient(db, client.id),
		outboxFor(db, client.email),
	]);
	const status = deriveSetupStatus({
		...client,
		jobState: job?.state ?? null,
		passwordSetAt: user?.passwordSetAt ?? null,
	});
	return c.json({
		client: {
			id: client.id,
			crn: client.crn,
			email: client.email,
			name: client.name,
			plan_code: client.planCode,
			checkout_session_id: client.checkoutSessionId,
			checkout_status: client.checkoutStatus,
			payment_status: client.paymentStatus,
			subscription_id: client.subscriptionId,
			subscription_status: client.subscriptionStatus,
			stripe_customer_id: client.stripeCustomerId,
			created_at: client.createdAt,
		},
		status,
		job: job ?? null,
		user: user ? { id: user.id, email: user.email, password_set_at: user.passwordSetAt } : null,
		events,
		emails: emails.map((m) => ({ id: m.id, subject: m.subject, created_at: m.createdAt })),
	});
});

// Stripe is the source of truth for events (kept 30 days): this also replays
// an event that never reached us, by the id shown in Stripe's dashboard.
adminRoutes.post("/admin/events/:id/replay", async (c) => {
	const d = deps(c.env);
	if (!d.stripe) return jsonError(c, 503, "stripe_unavailable", "Replaying needs STRIPE_SECRET_KEY.");
	let event: Stripe.Event | null = null;
	try {
		event = parseEvent(JSON.stringify(await d.stripe.retrieveEvent(c.req.param("id"))));
	} catch (error) {
		if (!(error instanceof StripeApiError && error.status === 404)) throw error;
	}
	const change = event ? changeFromEvent(event) : null;
	if (!event || !change) return jsonError(c, 404, "not_found", "Stripe has no event with this id that we act on.");
	const now = d.clock();
	const outcome = await applyPaymentChange(
		{ db: d.db, queue: d.queue, now },
		{
			eventId: `replay_${event.id}_${now}`,
			type: event.type,
			livemode: event.livemode,
			eventCreated: event.created,
			nonce: crypto.randomUUID(),
		},
		change,
		"webhook",
	);
	log("ADMIN_ACTION", { action: "replay_event", event_id: event.id, outcome: outcome.status });
	return c.json({ outcome });
});
