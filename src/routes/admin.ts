// Operator routes behind `Authorization: Bearer ADMIN_TOKEN`: configuration
// doctor, find and unstick jobs, look a client up by CRN, replay an event.
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { getConfig } from "../config";
import { timingSafeEqualStrings } from "../crypto";
import {
	database,
	findClientByCrn,
	findJobByClient,
	findUserByClient,
	ledgerForClient,
	listJobs,
	outboxFor,
	resetJob,
} from "../db/queries";
import { runChecks } from "../doctor";
import { type AppEnv, jsonError } from "../http";
import { log } from "../log";
import { applyPaymentChange } from "../onboarding/payments";
import { type ProvisioningQueue, provisionMessage } from "../onboarding/provisioning-message";
import { deriveSetupStatus } from "../onboarding/setup-status";
import { StripeApiError } from "../stripe/api";
import { stripeFor } from "../stripe/client";
import { changeFromEvent, parseEventEnvelope, type StripeEventEnvelope } from "../stripe/events";

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
	const config = getConfig(c.env);
	const checks = await runChecks({
		config,
		env: c.env,
		db: database(c.env.DB),
		stripe: stripeFor(config),
		now: Date.now(),
	});
	return c.json({ ok: checks.every((check) => check.ok), mode: config.mode, checks });
});

const STATUS_FILTER: Record<string, string> = {
	queued: "PAYMENT_CONFIRMED",
	running: "PROVISIONING_STARTED",
	completed: "WELCOME_EMAIL_SENT",
	failed: "FAILED",
};

adminRoutes.get("/admin/jobs", async (c) => {
	const status = c.req.query("status");
	const state = status ? (STATUS_FILTER[status] ?? status.toUpperCase()) : undefined;
	if (state && !Object.values(STATUS_FILTER).includes(state)) {
		return jsonError(c, 400, "invalid_status", "status must be queued, running, completed or failed.");
	}
	const limit = Math.min(200, Math.max(1, Number(c.req.query("limit") ?? 50) || 50));
	return c.json({ jobs: await listJobs(database(c.env.DB), state, limit) });
});

adminRoutes.post("/admin/jobs/:id/retry", async (c) => {
	const db = database(c.env.DB);
	const job = await resetJob(db, c.req.param("id"), Date.now());
	if (!job) return jsonError(c, 409, "not_retryable", "No such job, or it already completed.");
	await (c.env.PROVISIONING_QUEUE as ProvisioningQueue).send(provisionMessage(job.id, job.clientId), {
		contentType: "json",
	});
	log("ADMIN_ACTION", { action: "retry_job", job_id: job.id, client_id: job.clientId });
	return c.json({ job: { id: job.id, client_id: job.clientId, state: job.state } }, 202);
});

adminRoutes.get("/admin/clients/:crn", async (c) => {
	const db = database(c.env.DB);
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
	const stripe = stripeFor(getConfig(c.env));
	if (!stripe) return jsonError(c, 503, "stripe_unavailable", "Replaying needs STRIPE_SECRET_KEY.");
	let event: StripeEventEnvelope | null = null;
	try {
		event = parseEventEnvelope(JSON.stringify(await stripe.retrieveEvent(c.req.param("id"))));
	} catch (error) {
		if (!(error instanceof StripeApiError && error.status === 404)) throw error;
	}
	const change = event ? changeFromEvent(event) : null;
	if (!event || !change) return jsonError(c, 404, "not_found", "Stripe has no event with this id that we act on.");
	const now = Date.now();
	const outcome = await applyPaymentChange(
		{ db: database(c.env.DB), queue: c.env.PROVISIONING_QUEUE as ProvisioningQueue, now },
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
