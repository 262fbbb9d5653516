// /api/admin: the operator's API and the console's, all behind the admin bearer
// token (auth.ts, applied here once so no admin route can forget it). Each
// route parses its input, calls one operation (src/operations/) and answers its
// declared wire type.
import { Hono } from "hono/tiny";
import { appTarget } from "../../app-webhooks/announce";
import { deps } from "../../deps";
import { type AppEnv, jsonError, readJsonObject } from "../../http";
import { deliveriesView, sendAgain } from "../../operations/app-deliveries";
import { attentionView, jobListView, ledgerView, summaryView } from "../../operations/console";
import { customerView, searchCustomers } from "../../operations/customers";
import { detachFromLogin } from "../../operations/detach";
import { runChecks } from "../../operations/doctor";
import { replayEvent } from "../../operations/replay";
import { retryJob } from "../../operations/requeue";
import { sendSupportLink } from "../../operations/support-link";
import { requireAdmin } from "./auth";
import { planRoutes } from "./plans";

export const adminRoutes = new Hono<AppEnv>();

adminRoutes.use("*", requireAdmin);
adminRoutes.route("/", planRoutes);

const MAX_JOBS = 200;
const MAX_EVENTS = 200;

adminRoutes.get("/health", async (c) => {
	const d = deps(c.env);
	const checks = await runChecks({ ...d, env: c.env, now: d.clock() });
	return c.json({ ok: checks.every((check) => check.ok), mode: d.config.mode, checks });
});

adminRoutes.get("/summary", async (c) => {
	const { db, clock } = deps(c.env);
	return c.json(await summaryView(db, clock()));
});

adminRoutes.get("/attention", async (c) => {
	const { db, clock } = deps(c.env);
	return c.json(await attentionView(db, clock()));
});

adminRoutes.get("/jobs", async (c) => {
	const limit = Math.min(MAX_JOBS, Math.max(1, Number(c.req.query("limit") ?? 50) || 50));
	const view = await jobListView(deps(c.env).db, c.req.query("status"), limit);
	if (!view) return jsonError(c, 400, "invalid_status", "status must be queued, running, completed or failed.");
	return c.json(view);
});

adminRoutes.post("/jobs/:id/retry", async (c) => {
	const d = deps(c.env);
	const result = await retryJob({ ...d, now: d.clock() }, c.req.param("id"));
	if (result.ok) return c.json({ job: result.job }, 202);
	return result.reason === "not_retryable"
		? jsonError(c, 409, "not_retryable", "This job already completed; send a set-password link instead.")
		: jsonError(c, 404, "not_found", "No job with this id.");
});

adminRoutes.get("/clients/:crn", async (c) => {
	const d = deps(c.env);
	const view = await customerView(d.db, c.req.param("crn"), { now: d.clock(), graceMs: d.config.pastDueGraceMs });
	return view ? c.json(view) : jsonError(c, 404, "not_found", "No client with this CRN.");
});

/** Support sends a fresh set-password link; after the password was set it resets it. */
adminRoutes.post("/clients/:crn/setup-link", async (c) => {
	const result = await sendSupportLink(deps(c.env), c.req.param("crn").toUpperCase());
	if (result.ok) return c.json({ ok: true, resets_password: result.resets_password }, 202);
	return result.reason === "not_found"
		? jsonError(c, 404, "not_found", "No client with this CRN.")
		: jsonError(c, 409, "not_ready", "This customer has no login yet: retry their provisioning job instead.");
});

/** Support removes a plan someone else bought with the owner's email from the owner's login. */
adminRoutes.post("/clients/:crn/detach", async (c) => {
	const result = await detachFromLogin(deps(c.env).db, c.req.param("crn").toUpperCase());
	if (result.ok) return c.json({ ok: true });
	switch (result.reason) {
		case "not_found":
			return jsonError(c, 404, "not_found", "No client with this CRN.");
		case "not_attached":
			return jsonError(c, 409, "not_attached", "This plan belongs to no login.");
		case "first_plan":
			return jsonError(c, 409, "first_plan", "This plan created the login: it is the owner's own.");
	}
});

/** A POST body, so a searched email never lands in a URL that request logs keep. */
adminRoutes.post("/search", async (c) => {
	const body = await readJsonObject(c);
	const d = deps(c.env);
	const at = { now: d.clock(), graceMs: d.config.pastDueGraceMs };
	const result = await searchCustomers(d.db, typeof body?.q === "string" ? body.q : "", at);
	if (result.ok) return c.json({ results: result.results });
	return result.reason === "not_found"
		? jsonError(c, 404, "not_found", "No customer with this CRN or email.")
		: jsonError(c, 400, "invalid_query", "Search by a CRN (CRN-XXXX-XXXX) or an email address.");
});

adminRoutes.get("/events", async (c) => {
	const raw = c.req.query("limit") ?? "50";
	const limit = Number(raw);
	if (!/^\d+$/.test(raw) || limit < 1 || limit > MAX_EVENTS) {
		return jsonError(c, 400, "invalid_limit", `limit must be a whole number from 1 to ${MAX_EVENTS}.`);
	}
	return c.json(await ledgerView(deps(c.env).db, limit));
});

adminRoutes.post("/events/:id/replay", async (c) => {
	const d = deps(c.env);
	const result = await replayEvent({ ...d, now: d.clock() }, c.req.param("id"));
	if (result.ok) return c.json({ outcome: result.outcome });
	return result.reason === "stripe_unavailable"
		? jsonError(c, 503, "stripe_unavailable", "Replaying needs STRIPE_SECRET_KEY.")
		: jsonError(c, 404, "not_found", "Stripe has no event with this id that we act on.");
});

adminRoutes.get("/deliveries", async (c) => {
	const d = deps(c.env);
	return c.json(await deliveriesView(d.db, d.clock(), appTarget(d.config) !== null));
});

adminRoutes.post("/deliveries/:id/send-again", async (c) => {
	const d = deps(c.env);
	const result = await sendAgain({ ...d, now: d.clock() }, c.req.param("id"));
	if (result.ok) return c.json({ ok: true }, 202);
	return result.reason === "not_found"
		? jsonError(c, 404, "not_found", "No delivery with this id.")
		: jsonError(c, 409, "not_failed", "Only a failed delivery can be sent again; this one is pending or delivered.");
});
