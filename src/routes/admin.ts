// Operator routes (behind `Authorization: Bearer ADMIN_TOKEN`, see admin-auth.ts): configuration
// doctor, find and unstick jobs, look a client up by CRN, replay an event.
import { Hono } from "hono";
import type Stripe from "stripe";
import { findUserOfClient, linksOfUser } from "../db/accounts";
import { findClientByCrn } from "../db/clients";
import { findJob, findJobByClient, resetJob } from "../db/jobs";
import { ledgerForClient, listJobs } from "../db/ops";
import { outboxFor } from "../db/outbox";
import { deps } from "../deps";
import { runChecks } from "../doctor";
import { type AppEnv, jsonError } from "../http";
import { log } from "../log";
import { requestSupportLink } from "../onboarding/links";
import { applyPaymentChange } from "../onboarding/payments";
import { provisionMessage } from "../onboarding/queue-message";
import { deriveSetupStatus } from "../onboarding/setup-status";
import { jobStateFor } from "../rules/job-states";
import { accessOf } from "../rules/subscription-status";
import { StripeApiError } from "../stripe/api";
import { changeFromEvent, parseEvent } from "../stripe/events";

export const adminRoutes = new Hono<AppEnv>();

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
	const id = c.req.param("id");
	const job = await resetJob(d.db, id, d.clock());
	if (!job) {
		return (await findJob(d.db, id))
			? jsonError(c, 409, "not_retryable", "This job already completed; send a set-password link instead.")
			: jsonError(c, 404, "not_found", "No job with this id.");
	}
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
		findUserOfClient(db, client.id),
		ledgerForClient(db, client.id),
		outboxFor(db, client.email),
	]);
	const links = user ? await linksOfUser(db, user.id) : [];
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
			access: accessOf(client),
			stripe_customer_id: client.stripeCustomerId,
			created_at: client.createdAt,
		},
		status,
		job: job ?? null,
		user: user ? { id: user.id, email: user.email, password_set_at: user.passwordSetAt } : null,
		events,
		emails: emails.map((m) => ({ id: m.id, subject: m.subject, created_at: m.createdAt })),
		// When each link was sent, used and expires: never the token.
		links: links.map((l) => ({
			purpose: l.purpose,
			created_at: l.createdAt,
			expires_at: l.expiresAt,
			used_at: l.usedAt,
		})),
	});
});

/** Support sends a fresh set-password link; after the password was set it resets it. */
adminRoutes.post("/admin/clients/:crn/setup-link", async (c) => {
	const d = deps(c.env);
	const crn = c.req.param("crn").toUpperCase();
	const result = await requestSupportLink({ ...d, now: d.clock() }, crn);
	if (!result.ok) {
		return result.reason === "not_found"
			? jsonError(c, 404, "not_found", "No client with this CRN.")
			: jsonError(c, 409, "not_ready", "This customer has no login yet: retry their provisioning job instead.");
	}
	log("ADMIN_ACTION", { action: "send_setup_link", crn, resets_password: result.passwordSet });
	return c.json({ ok: true, resets_password: result.passwordSet }, 202);
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
