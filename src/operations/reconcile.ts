// The cron reconciler: re-enqueues stuck jobs (src/operations/requeue.ts),
// provisions paid Checkout Sessions no webhook reported
// (walking Stripe's list from a persisted cursor), clears expired sessions
// and links, and alerts the operator (src/operations/alerts.ts). Each step
// runs even when another fails.
import type Stripe from "stripe";
import { sweepAppWork } from "../app-webhooks/sweep";
import type { Config } from "../config";
import { deleteExpiredAccountsData } from "../db/accounts";
import { readCursor, writeCursor } from "../db/cursors";
import type { Db } from "../db/database";
import { sessionsWithJobs } from "../db/jobs";
import { deleteOldLinkSends } from "../db/links";
import { deleteOutboxBefore } from "../db/outbox";
import { errorMessage, log } from "../log";
import { applyCheckoutSessionFromStripe } from "../onboarding/stripe-sync";
import { LINK_EMAIL_WINDOW_MS } from "../rules/links";
import { DEPLOYMENT_TAG } from "../rules/stripe-endpoint";
import { isPaidCheckout } from "../rules/subscription-status";
import { type StripeApi, StripeApiError } from "../stripe/api";
import type { WorkQueue } from "../work/messages";
import { sendAlerts } from "./alerts";
import { requeueStuckJobs } from "./requeue";

/** A first walk looks back this far: Stripe retries a failed delivery for up to three days. */
export const STRIPE_LOOKBACK_SECONDS = 4 * 24 * 3600;
/** A Checkout Session completes or expires within 24 h of creation; an hour's margin on top. */
const SESSION_SETTLED_AFTER_SECONDS = 25 * 3600;
export const MAX_STRIPE_PAGES = 3;
export const STRIPE_PAGE_SIZE = 100;
const CURSOR = "reconcile.stripe_sessions";
const HOUSEKEEPING_BATCH = 500;
/** Stored email bodies (the outbox transport) are kept a week: long enough to read, not to leak. */
export const OUTBOX_KEEP_MS = 7 * 24 * 3_600_000;

export interface ReconcileDeps {
	db: Db;
	queue: WorkQueue;
	stripe: StripeApi | null;
	config: Pick<Config, "appUrl" | "planByPrice" | "app" | "pastDueGraceMs" | "problems">;
	now: number;
}

export interface ReconcileReport {
	requeued: number;
	failed: number;
	stripeChecked: number;
	stripeProvisioned: number;
}

/** Where the walk over Stripe's sessions is: from `gte`, continuing below `after` when a walk was cut short. */
interface SessionCursor {
	gte: number;
	after?: string;
	walkStartedAt?: number;
}

function parseCursor(raw: unknown, fallbackGte: number): SessionCursor {
	const c = raw as Partial<SessionCursor> | undefined;
	if (!c || typeof c.gte !== "number") return { gte: fallbackGte };
	return {
		gte: c.gte,
		after: typeof c.after === "string" ? c.after : undefined,
		walkStartedAt: typeof c.walkStartedAt === "number" ? c.walkStartedAt : undefined,
	};
}

/**
 * Provisions paid sessions of this deployment that Stripe lists as complete but
 * no webhook reported. Stripe lists newest first; a walk reads down to `gte` a
 * few pages per run, and when it reaches the end `gte` moves up to the newest
 * point before which every session has settled.
 */
export async function reconcileWithStripe(deps: ReconcileDeps): Promise<{ checked: number; provisioned: number }> {
	if (!deps.stripe) return { checked: 0, provisioned: 0 };
	const nowSeconds = Math.floor(deps.now / 1000);
	const cursor = parseCursor(await readCursor(deps.db, CURSOR), nowSeconds - STRIPE_LOOKBACK_SECONDS);
	const walkStartedAt = cursor.walkStartedAt ?? nowSeconds;
	let startingAfter = cursor.after;
	let checked = 0;
	let provisioned = 0;
	for (let page = 0; page < MAX_STRIPE_PAGES; page++) {
		let list: Stripe.ApiList<Stripe.Checkout.Session>;
		try {
			list = await deps.stripe.listCheckoutSessions({
				status: "complete",
				createdGte: cursor.gte,
				limit: STRIPE_PAGE_SIZE,
				startingAfter,
			});
		} catch (error) {
			// The session the walk stopped at is gone (another Stripe account's key, say): start over from the newest.
			if (!(startingAfter && error instanceof StripeApiError && error.status === 400)) throw error;
			await writeCursor(deps.db, CURSOR, { gte: cursor.gte } satisfies SessionCursor, deps.now);
			throw error;
		}
		checked += list.data.length;
		provisioned += await provisionUnreported(deps, list.data);
		const last = list.data[list.data.length - 1];
		if (!list.has_more || !last) {
			const gte = Math.max(cursor.gte, walkStartedAt - SESSION_SETTLED_AFTER_SECONDS);
			await writeCursor(deps.db, CURSOR, { gte } satisfies SessionCursor, deps.now);
			return { checked, provisioned };
		}
		startingAfter = last.id;
	}
	await writeCursor(
		deps.db,
		CURSOR,
		{ gte: cursor.gte, after: startingAfter, walkStartedAt } satisfies SessionCursor,
		deps.now,
	);
	return { checked, provisioned };
}

async function provisionUnreported(deps: ReconcileDeps, sessions: Stripe.Checkout.Session[]): Promise<number> {
	// Only sessions this deployment created: staging and production may share a Stripe account.
	const ours = sessions.filter(
		(s) => s.metadata?.[DEPLOYMENT_TAG] === deps.config.appUrl && isPaidCheckout(s.payment_status),
	);
	const done = await sessionsWithJobs(
		deps.db,
		ours.map((s) => s.id),
	);
	let provisioned = 0;
	for (const session of ours) {
		if (done.has(session.id)) continue;
		const outcome = await applyCheckoutSessionFromStripe(deps, session, "reconcile");
		if (outcome?.status === "applied") {
			provisioned++;
			log("RECONCILE_STRIPE_PROVISIONED", {
				client_id: outcome.clientId,
				job_id: outcome.jobId,
				checkout_session_id: session.id,
			});
		}
	}
	return provisioned;
}

async function step<T>(name: string, run: () => Promise<T>, fallback: T): Promise<T> {
	try {
		return await run();
	} catch (error) {
		log("RECONCILE_FAILED", { step: name, error: errorMessage(error) });
		return fallback;
	}
}

/** Expired sessions and links, link-email claims past their window (they count toward nothing), old outbox emails. */
async function housekeeping(deps: ReconcileDeps) {
	const accounts = await deleteExpiredAccountsData(deps.db, deps.now, HOUSEKEEPING_BATCH);
	const linkSends = await deleteOldLinkSends(deps.db, deps.now - LINK_EMAIL_WINDOW_MS, HOUSEKEEPING_BATCH);
	const outbox = await deleteOutboxBefore(deps.db, deps.now - OUTBOX_KEEP_MS, HOUSEKEEPING_BATCH);
	return { ...accounts, linkSends, outbox };
}

export async function reconcile(deps: ReconcileDeps): Promise<ReconcileReport> {
	const jobsResult = await step("requeue", () => requeueStuckJobs(deps), { requeued: 0, failed: 0 });
	const stripeResult = await step("stripe", () => reconcileWithStripe(deps), { checked: 0, provisioned: 0 });
	const cleared = await step("housekeeping", () => housekeeping(deps), {
		sessions: 0,
		links: 0,
		linkSends: 0,
		outbox: 0,
	});
	if (cleared.sessions + cleared.links + cleared.linkSends + cleared.outbox > 0) {
		log("HOUSEKEEPING_DONE", {
			sessions_deleted: cleared.sessions,
			links_deleted: cleared.links,
			link_sends_deleted: cleared.linkSends,
			outbox_deleted: cleared.outbox,
		});
	}
	const app = await step("app_webhooks", () => sweepAppWork(deps), { synced: 0, resent: 0 });
	// Last: it reads what the steps above left (a job failed for good, deliveries failing).
	const alerts = await step("alerts", () => sendAlerts(deps), { sent: 0, failed: 0 });
	const report = {
		requeued: jobsResult.requeued,
		failed: jobsResult.failed,
		stripeChecked: stripeResult.checked,
		stripeProvisioned: stripeResult.provisioned,
	};
	log("RECONCILE_DONE", {
		requeued: report.requeued,
		failed: report.failed,
		stripe_checked: report.stripeChecked,
		stripe_provisioned: report.stripeProvisioned,
		app_synced: app.synced,
		app_resent: app.resent,
		alerts_sent: alerts.sent,
	});
	return report;
}
