// What a plan gives its login, derived purely from stored facts: the
// subscription's status, the grace clock of a failed renewal, refunds and
// disputes, and the kind of plan ("Access follows the money" in SPEC.md). The
// dashboard, /api/portal/me, the access API and the console all read this.
// https://docs.stripe.com/billing/subscriptions/overview#subscription-statuses

export const PLAN_MODES = ["subscription", "payment"] as const;
/** subscription: renews; payment: a one-time purchase (a lifetime plan). */
export type PlanMode = (typeof PLAN_MODES)[number];

/** Stripe's open dispute statuses (needs_response, under_review, warning_*) are all `open` here. */
export const DISPUTE_STATES = ["open", "won", "lost"] as const;
export type DisputeState = (typeof DISPUTE_STATES)[number];

export const ACCESS_LEVELS = ["active", "past_due", "suspended", "ended"] as const;
export type Access = (typeof ACCESS_LEVELS)[number];

export const ACCESS_REASONS = [
	"paid",
	"trialing",
	"payment_failed",
	"payment_pending",
	"grace_over",
	"paused",
	"dispute_open",
	"canceled",
	"expired",
	"refunded",
	"dispute_lost",
] as const;
/**
 * Beyond SPEC's table: `payment_pending` (a first payment not settled yet: an
 * `incomplete` subscription or an open checkout) and `paused` (a trial ended
 * with no payment method, Stripe's `paused`): neither gives access, and
 * neither is a failed renewal.
 */
export type AccessReason = (typeof ACCESS_REASONS)[number];

export const DEFAULT_PAST_DUE_GRACE_DAYS = 7;
export const DAY_MS = 86_400_000;

export interface AccessFacts {
	mode: PlanMode;
	subscriptionStatus: string | null;
	/** The Checkout Session's: paid | no_payment_required | unpaid | failed. */
	paymentStatus: string;
	checkoutStatus: string;
	pastDueSince: number | null;
	refundedAt: number | null;
	/** The worst of the plan's disputes: lost, else open; null when none is open or lost. */
	disputeState: DisputeState | null;
}

export interface AccessVerdict {
	access: Access;
	reason: AccessReason;
}

const PAID_CHECKOUT = ["paid", "no_payment_required"];

/** First match wins: money moved back outranks every status, a final status outranks a dispute, and so on. */
export function deriveAccess(facts: AccessFacts, now: number, graceMs: number): AccessVerdict {
	if (facts.refundedAt !== null) return { access: "ended", reason: "refunded" };
	if (facts.disputeState === "lost") return { access: "ended", reason: "dispute_lost" };
	const status = facts.mode === "subscription" ? facts.subscriptionStatus : null;
	if (status === "canceled") return { access: "ended", reason: "canceled" };
	if (status === "incomplete_expired") return { access: "ended", reason: "expired" };
	if (facts.disputeState === "open") return { access: "suspended", reason: "dispute_open" };
	if (status === "unpaid") return { access: "suspended", reason: "grace_over" };
	if (status === "paused") return { access: "suspended", reason: "paused" };
	if (status === "incomplete") return { access: "suspended", reason: "payment_pending" };
	// A failed renewal: Stripe says past_due, or an invoice failed before the subscription event arrived.
	const failing = status === "past_due" || (facts.pastDueSince !== null && (status === "active" || status === null));
	if (failing && facts.mode === "subscription") {
		const since = facts.pastDueSince ?? now;
		return now - since >= graceMs
			? { access: "suspended", reason: "grace_over" }
			: { access: "past_due", reason: "payment_failed" };
	}
	if (status === "trialing") return { access: "active", reason: "trialing" };
	if (status === "active") return { access: "active", reason: "paid" };
	// No subscription status yet, or a one-time purchase: the checkout decides.
	if (PAID_CHECKOUT.includes(facts.paymentStatus)) return { access: "active", reason: "paid" };
	if (facts.paymentStatus === "failed" || facts.checkoutStatus === "expired") {
		return { access: "ended", reason: "expired" };
	}
	return { access: "suspended", reason: "payment_pending" };
}

/** When a failed renewal's grace runs out; null when no renewal is failing. */
export function graceEndsAt(facts: AccessFacts, verdict: AccessVerdict, graceMs: number): number | null {
	return verdict.reason === "payment_failed" && facts.pastDueSince !== null ? facts.pastDueSince + graceMs : null;
}

export type PlanAction =
	| { type: "confirm_payment"; url: string }
	| { type: "pay_invoice"; url: string }
	| { type: "update_payment_method" }
	| { type: "subscribe_again" };

/** The one thing the customer can do about a plan now; null when there is nothing to do (or only support can help). */
export function actionFor(
	verdict: AccessVerdict,
	open: { invoiceUrl: string | null; actionRequiredAt: number | null },
): PlanAction | null {
	const owing = verdict.reason === "payment_failed" || verdict.reason === "grace_over";
	if (open.actionRequiredAt !== null && open.invoiceUrl && verdict.access !== "ended") {
		return { type: "confirm_payment", url: open.invoiceUrl };
	}
	if (owing) return open.invoiceUrl ? { type: "pay_invoice", url: open.invoiceUrl } : { type: "update_payment_method" };
	if (verdict.reason === "paused") return { type: "update_payment_method" };
	if (verdict.reason === "canceled" || verdict.reason === "expired") return { type: "subscribe_again" };
	return null;
}

const RANK: Record<Access, number> = { active: 0, past_due: 1, suspended: 2, ended: 3 };

/** Orders plans best access first (stable); the access API's top level is the first one's. */
export function byAccess(a: { access: Access }, b: { access: Access }): number {
	return RANK[a.access] - RANK[b.access];
}

/** Does this access let the customer use the product? */
export function grantsUse(access: Access): boolean {
	return access === "active" || access === "past_due";
}
