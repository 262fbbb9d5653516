// Answers one status poll: one D1 read for a settled session. While payment is
// "confirming" for more than a few seconds it asks Stripe (at most once per
// interval per client, claimed in D1) and runs the webhook's own payment path.
import type { Config } from "../config";
import { sha256Hex } from "../crypto";
import { claimStripeCheck, markCheckoutOpen, markReturned } from "../db/clients";
import { type StatusRow, statusRowByTokenHash } from "../db/status-read";
import { errorMessage, log } from "../log";
import { type AccessVerdict, deriveAccess } from "../rules/access";
import type { PaymentDeps } from "./payments";
import { deriveSetupStatus, isSettled, type SetupStatus } from "./setup-status";
import { applyCheckoutSessionFromStripe } from "./stripe-sync";

/** How long a webhook gets before we ask Stripe ourselves. */
export const SYNC_AFTER_MS = 3_000;
/** At most one Stripe call per client per interval, however many tabs poll. */
export const SYNC_INTERVAL_MS = 5_000;

export type StatusQueryDeps = PaymentDeps & { config: Pick<Config, "planByPrice" | "pastDueGraceMs"> };

export interface OnboardingStatus extends SetupStatus, AccessVerdict {
	crn: string;
	planCode: string;
	updatedAt: number;
}

function view(row: StatusRow, now: number, graceMs: number): OnboardingStatus {
	return {
		crn: row.crn,
		planCode: row.planCode,
		...deriveSetupStatus(row),
		...deriveAccess(row, now, graceMs),
		updatedAt: Math.max(row.clientUpdatedAt, row.jobUpdatedAt ?? 0),
	};
}

export async function readOnboardingStatus(deps: StatusQueryDeps, token: string): Promise<OnboardingStatus | null> {
	const { db, now } = deps;
	const tokenHash = await sha256Hex(token);
	let row = await statusRowByTokenHash(db, tokenHash);
	if (!row) return null;
	let status = view(row, now, deps.config.pastDueGraceMs);
	if (isSettled(status)) return status;

	// The first poll means the customer is back from Checkout: "confirming" from here on.
	let returnedAt = row.returnedAt;
	if (returnedAt === null) {
		returnedAt = now;
		await markReturned(db, row.clientId, now);
		row = { ...row, returnedAt };
		status = view(row, now, deps.config.pastDueGraceMs);
	}

	const sessionId = row.checkoutSessionId;
	if (
		deps.stripe &&
		sessionId &&
		status.payment_state === "confirming" &&
		now - returnedAt >= SYNC_AFTER_MS &&
		(await claimStripeCheck(db, row.clientId, now, SYNC_INTERVAL_MS))
	) {
		try {
			const session = await deps.stripe.retrieveCheckoutSession(sessionId);
			if (session.status === "open") {
				// Not paid, not abandoned for good: the page offers to pay again.
				await markCheckoutOpen(db, row.clientId, now);
				return view({ ...row, checkoutOpenAt: now }, now, deps.config.pastDueGraceMs);
			}
			const outcome = await applyCheckoutSessionFromStripe(deps, session, "sync");
			if (outcome?.status === "applied") {
				log("PAYMENT_CONFIRMED_BY_SYNC", {
					client_id: row.clientId,
					checkout_session_id: sessionId,
					job_id: outcome.jobId,
					payment_status: session.payment_status,
				});
				const fresh = await statusRowByTokenHash(db, tokenHash);
				if (fresh) status = view(fresh, now, deps.config.pastDueGraceMs);
			}
		} catch (error) {
			// The page keeps polling; the next interval tries again.
			log("STRIPE_SYNC_FAILED", {
				client_id: row.clientId,
				checkout_session_id: sessionId,
				error: errorMessage(error),
			});
		}
	}
	return status;
}
