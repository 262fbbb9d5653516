// Reads behind the operator console (/admin), all under /api/admin (bearer token,
// see admin-auth.ts): the last day at a glance, jobs that need a person, finding
// a customer, and the webhook ledger. Its actions are the ops routes in admin.ts.
import { Hono } from "hono";
import { CHART_STATES, findClients, jobsNeedingAttention, onboardingSummary, recentLedger } from "../db/console";
import { deps } from "../deps";
import { type AppEnv, jsonError, readJsonObject } from "../http";
import { STUCK_AFTER_MS } from "../onboarding/reconcile";
import { provisioningState } from "../rules/job-states";
import { accessOf } from "../rules/subscription-status";

export const adminConsoleRoutes = new Hono<AppEnv>();

const ATTENTION_LIMIT = 100;
const MAX_EVENTS = 200;
const MAX_QUERY_LENGTH = 254;
const CRN = /^CRN-[A-Z0-9]{4}-[A-Z0-9]{4}$/;

adminConsoleRoutes.get("/admin/summary", async (c) => {
	const { db, clock } = deps(c.env);
	const s = await onboardingSummary(db, clock());
	return c.json({
		from: s.from,
		to: s.to,
		checkouts_started: s.checkoutsStarted,
		paid: s.paid,
		provisioned: s.provisioned,
		failed: s.failed,
		// The page stacks the bars in this order and needs no list of its own.
		states: CHART_STATES,
		hourly: s.hourly,
		payment_to_completed_ms: s.paymentToCompleted,
	});
});

adminConsoleRoutes.get("/admin/attention", async (c) => {
	const { db, clock } = deps(c.env);
	const now = clock();
	const found = await jobsNeedingAttention(db, now, now - STUCK_AFTER_MS, ATTENTION_LIMIT);
	return c.json({
		stuck_after_ms: STUCK_AFTER_MS,
		jobs: found.map((job) => ({
			reason: job.reason,
			job_id: job.jobId,
			crn: job.crn,
			email_domain: job.emailDomain,
			state: job.state,
			provisioning_state: provisioningState(job.state),
			last_error: job.lastError,
			// Ages by the server's clock, so a browser with a wrong clock still reads them right.
			age_ms: now - job.queuedAt,
			idle_ms: now - job.updatedAt,
		})),
	});
});

/**
 * CRN exactly (any case), or an email as typed and lowercased (checkout stores
 * it lowercased). A POST body, so a searched email never lands in a URL that
 * request logs keep.
 */
adminConsoleRoutes.post("/admin/search", async (c) => {
	const body = await readJsonObject(c);
	const q = (typeof body?.q === "string" ? body.q : "").trim();
	if (!q || q.length > MAX_QUERY_LENGTH) {
		return jsonError(c, 400, "invalid_query", "Search by a CRN (CRN-XXXX-XXXX) or an email address.");
	}
	let by: { crn: string } | { emails: string[] };
	if (CRN.test(q.toUpperCase())) by = { crn: q.toUpperCase() };
	else if (q.includes("@")) by = { emails: [...new Set([q, q.toLowerCase()])] };
	else return jsonError(c, 400, "invalid_query", "Search by a CRN (CRN-XXXX-XXXX) or an email address.");
	const rows = await findClients(deps(c.env).db, by);
	if (rows.length === 0) return jsonError(c, 404, "not_found", "No customer with this CRN or email.");
	return c.json({
		results: rows.map((row) => ({
			crn: row.crn,
			email: row.email,
			name: row.name,
			plan_code: row.planCode,
			created_at: row.createdAt,
			subscription_status: row.subscriptionStatus,
			access: accessOf(row),
			provisioning_state: provisioningState(row.jobState),
		})),
	});
});

adminConsoleRoutes.get("/admin/events", async (c) => {
	const raw = c.req.query("limit") ?? "50";
	const limit = Number(raw);
	if (!/^\d+$/.test(raw) || limit < 1 || limit > MAX_EVENTS) {
		return jsonError(c, 400, "invalid_limit", `limit must be a whole number from 1 to ${MAX_EVENTS}.`);
	}
	const rows = await recentLedger(deps(c.env).db, limit);
	return c.json({
		events: rows.map((row) => ({
			id: row.id,
			type: row.type,
			received_at: row.receivedAt,
			crn: row.crn,
			// Applied: the ledger row points at a client we have. Ignored: an event
			// type we do not act on, or one for a client we do not know.
			outcome: row.crn === null ? "ignored" : "applied",
			deliveries: row.deliveries,
			// Every delivery after the first changed nothing (the ledger insert lost).
			duplicate: row.deliveries > 1,
			// Only Stripe's own event ids can be fetched again; sync_ and replay_ rows are ours.
			replayable: row.id.startsWith("evt_"),
		})),
	});
});
