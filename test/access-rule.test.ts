// The pure access rule ("Access follows the money" in SPEC.md) over every
// combination of the stored facts, against an expectation written from SPEC's
// table, and one named case per row.
import { describe, expect, it } from "vitest";
import {
	type Access,
	type AccessFacts,
	type AccessReason,
	type AccessVerdict,
	actionFor,
	byAccess,
	type DisputeState,
	deriveAccess,
	graceEndsAt,
	type PlanAction,
	type PlanMode,
} from "../src/rules/access";

const DAY = 86_400_000;
const NOW = 1_700_000_000_000;
const GRACE = 7 * DAY;
const URL = "https://invoice.stripe.com/i/acct_test/test_in_1";

const MODES: PlanMode[] = ["subscription", "payment"];
// null (no subscription event yet) and every status Stripe gives a subscription.
const STATUSES = [
	null,
	"incomplete",
	"incomplete_expired",
	"trialing",
	"active",
	"past_due",
	"canceled",
	"unpaid",
	"paused",
] as const;
const PAYMENTS = ["paid", "no_payment_required", "unpaid", "failed"];
const CHECKOUTS = ["open", "complete", "expired"];
// The first failure of the period: none, inside the grace period, exactly at its end, long past it.
const PAST_DUE_SINCE = [null, NOW - 3 * DAY, NOW - GRACE, NOW - 10 * DAY];
const REFUNDED_AT = [null, NOW - DAY];
const DISPUTES: (DisputeState | null)[] = [null, "open", "won", "lost"];
// What the customer was asked to do: nothing, pay an invoice, confirm a payment (with and without its page).
const OPEN = [
	{ invoiceUrl: null, actionRequiredAt: null },
	{ invoiceUrl: URL, actionRequiredAt: null },
	{ invoiceUrl: null, actionRequiredAt: NOW - DAY },
	{ invoiceUrl: URL, actionRequiredAt: NOW - DAY },
];

function* everyFacts(): Generator<AccessFacts> {
	for (const mode of MODES)
		for (const subscriptionStatus of STATUSES)
			for (const paymentStatus of PAYMENTS)
				for (const checkoutStatus of CHECKOUTS)
					for (const pastDueSince of PAST_DUE_SINCE)
						for (const refundedAt of REFUNDED_AT)
							for (const disputeState of DISPUTES)
								yield {
									mode,
									subscriptionStatus,
									paymentStatus,
									checkoutStatus,
									pastDueSince,
									refundedAt,
									disputeState,
								};
}

const facts = (over: Partial<AccessFacts> = {}): AccessFacts => ({
	mode: "subscription",
	subscriptionStatus: "active",
	paymentStatus: "paid",
	checkoutStatus: "complete",
	pastDueSince: null,
	refundedAt: null,
	disputeState: null,
	...over,
});

const verdict = (access: Access, reason: AccessReason): AccessVerdict => ({ access, reason });

/**
 * SPEC's table, row by row. Where SPEC names no order, the money decides:
 * money that went back (a full refund, a lost dispute) ends the plan whatever
 * else is true; a subscription Stripe ended stays ended; an open dispute
 * suspends everything else (it proves a payment was taken, so what the
 * checkout alone said is behind it); then the subscription's own standing.
 */
function expectedAccess(f: AccessFacts, now: number, graceMs: number): AccessVerdict {
	if (f.refundedAt !== null) return verdict("ended", "refunded");
	if (f.disputeState === "lost") return verdict("ended", "dispute_lost");
	// A one-time purchase has no subscription: any status stored beside it means nothing.
	const status = f.mode === "payment" ? null : f.subscriptionStatus;
	if (status === "canceled") return verdict("ended", "canceled");
	if (status === "incomplete_expired") return verdict("ended", "expired");
	if (f.disputeState === "open") return verdict("suspended", "dispute_open");
	return f.mode === "payment" ? checkoutStanding(f) : subscriptionStanding(f, status, now, graceMs);
}

/** What the Checkout Session alone says: paid (a trial or a 100% coupon is paid), never paid, or not yet. */
function checkoutStanding(f: AccessFacts): AccessVerdict {
	if (f.paymentStatus === "paid" || f.paymentStatus === "no_payment_required") return verdict("active", "paid");
	if (f.paymentStatus === "failed" || f.checkoutStatus === "expired") return verdict("ended", "expired");
	// Beyond the table: the first payment has not settled, so no access yet.
	return verdict("suspended", "payment_pending");
}

/** A failed renewal keeps access for less than the grace period after its first failure. */
function renewalFailed(pastDueSince: number | null, now: number, graceMs: number): AccessVerdict {
	const elapsed = pastDueSince === null ? 0 : now - pastDueSince;
	return elapsed < graceMs ? verdict("past_due", "payment_failed") : verdict("suspended", "grace_over");
}

function subscriptionStanding(
	f: AccessFacts,
	status: AccessFacts["subscriptionStatus"],
	now: number,
	graceMs: number,
): AccessVerdict {
	switch (status) {
		case "trialing":
			return verdict("active", "trialing");
		case "past_due":
			return renewalFailed(f.pastDueSince, now, graceMs);
		case "unpaid":
			return verdict("suspended", "grace_over");
		case "paused":
			// Beyond the table: a trial ended without a payment method.
			return verdict("suspended", "paused");
		case "incomplete":
			return verdict("suspended", "payment_pending");
		case "active":
		case null:
			// An invoice's failure may arrive before Stripe's past_due: a recorded failure is a failed renewal.
			if (f.pastDueSince !== null) return renewalFailed(f.pastDueSince, now, graceMs);
			return status === "active" ? verdict("active", "paid") : checkoutStanding(f);
		default:
			throw new Error(`status ${status} not expected here`);
	}
}

/** The grace end is shown while a failed renewal keeps access, and only when its first failure is known. */
function expectedGraceEnd(f: AccessFacts, v: AccessVerdict, graceMs: number): number | null {
	if (v.access !== "past_due" || f.pastDueSince === null) return null;
	return f.pastDueSince + graceMs;
}

/** "What the customer can do now": confirm, pay, update the card, subscribe again, or nothing. */
function expectedAction(
	v: AccessVerdict,
	open: { invoiceUrl: string | null; actionRequiredAt: number | null },
): PlanAction | null {
	if (v.access === "ended") {
		// Refunded or lost: only support can help.
		return v.reason === "canceled" || v.reason === "expired" ? { type: "subscribe_again" } : null;
	}
	if (open.actionRequiredAt !== null && open.invoiceUrl !== null)
		return { type: "confirm_payment", url: open.invoiceUrl };
	if (v.reason === "payment_failed" || v.reason === "grace_over") {
		return open.invoiceUrl !== null ? { type: "pay_invoice", url: open.invoiceUrl } : { type: "update_payment_method" };
	}
	return v.reason === "paused" ? { type: "update_payment_method" } : null;
}

const ACCESS_OF_REASON: Record<AccessReason, Access> = {
	paid: "active",
	trialing: "active",
	payment_failed: "past_due",
	payment_pending: "suspended",
	grace_over: "suspended",
	paused: "suspended",
	dispute_open: "suspended",
	canceled: "ended",
	expired: "ended",
	refunded: "ended",
	dispute_lost: "ended",
};

describe("deriveAccess, graceEndsAt and actionFor over every combination", () => {
	it("matches SPEC's table for every stored combination", () => {
		const wrong: string[] = [];
		let count = 0;
		for (const f of everyFacts()) {
			count++;
			const got = deriveAccess(f, NOW, GRACE);
			const want = expectedAccess(f, NOW, GRACE);
			if (got.access !== want.access || got.reason !== want.reason) {
				wrong.push(`${JSON.stringify(f)}: ${got.access}/${got.reason}, want ${want.access}/${want.reason}`);
				continue;
			}
			const graceEnd = graceEndsAt(f, got, GRACE);
			if (graceEnd !== expectedGraceEnd(f, want, GRACE)) wrong.push(`${JSON.stringify(f)}: grace ends ${graceEnd}`);
			for (const open of OPEN) {
				const action = actionFor(got, open);
				const wanted = expectedAction(want, open);
				if (JSON.stringify(action) !== JSON.stringify(wanted)) {
					wrong.push(`${JSON.stringify(f)} ${JSON.stringify(open)}: ${JSON.stringify(action)}`);
				}
			}
		}
		expect(wrong.slice(0, 20)).toEqual([]);
		expect(count).toBe(2 * 9 * 4 * 3 * 4 * 2 * 4);
	});

	it("pairs each reason with its access level only", () => {
		const seen = new Set<string>();
		for (const f of everyFacts()) {
			for (const graceMs of [0, GRACE]) {
				const v = deriveAccess(f, NOW, graceMs);
				expect(v.access, `${JSON.stringify(f)} grace ${graceMs}`).toBe(ACCESS_OF_REASON[v.reason]);
				seen.add(v.reason);
			}
		}
		expect([...seen].sort()).toEqual(Object.keys(ACCESS_OF_REASON).sort());
	});

	it("gives no grace when PAST_DUE_GRACE_DAYS is 0", () => {
		for (const f of everyFacts()) {
			const v = deriveAccess(f, NOW, 0);
			expect(v, JSON.stringify(f)).toEqual(expectedAccess(f, NOW, 0));
			expect(v.reason).not.toBe("payment_failed");
		}
	});
});

describe("access: active", () => {
	it("is active and paid for an active subscription", () => {
		expect(deriveAccess(facts(), NOW, GRACE)).toEqual(verdict("active", "paid"));
	});

	it("is active and trialing for a trialing subscription", () => {
		expect(
			deriveAccess(facts({ subscriptionStatus: "trialing", paymentStatus: "no_payment_required" }), NOW, GRACE),
		).toEqual(verdict("active", "trialing"));
	});

	it("is active and paid for a paid one-time purchase, whatever subscription status sits beside it", () => {
		for (const subscriptionStatus of STATUSES) {
			expect(
				deriveAccess(facts({ mode: "payment", subscriptionStatus }), NOW, GRACE),
				String(subscriptionStatus),
			).toEqual(verdict("active", "paid"));
		}
	});

	it("is active and paid for a checkout that needed no payment before any subscription event", () => {
		expect(deriveAccess(facts({ subscriptionStatus: null, paymentStatus: "no_payment_required" }), NOW, GRACE)).toEqual(
			verdict("active", "paid"),
		);
	});

	it("ignores a renewal failure on a one-time purchase, which never renews", () => {
		expect(deriveAccess(facts({ mode: "payment", pastDueSince: NOW - DAY }), NOW, GRACE)).toEqual(
			verdict("active", "paid"),
		);
	});
});

describe("access: past_due", () => {
	it("is past due while less than the grace period has passed since the first failure", () => {
		for (const subscriptionStatus of ["past_due", "active", null]) {
			expect(
				deriveAccess(facts({ subscriptionStatus, pastDueSince: NOW - GRACE + 1 }), NOW, GRACE),
				String(subscriptionStatus),
			).toEqual(verdict("past_due", "payment_failed"));
		}
	});

	it("is past due for Stripe's past_due before the first failure is known", () => {
		expect(deriveAccess(facts({ subscriptionStatus: "past_due" }), NOW, GRACE)).toEqual(
			verdict("past_due", "payment_failed"),
		);
	});
});

describe("access: suspended", () => {
	it("is suspended once the grace period is over, from its very end", () => {
		for (const pastDueSince of [NOW - GRACE, NOW - 10 * DAY]) {
			expect(deriveAccess(facts({ subscriptionStatus: "past_due", pastDueSince }), NOW, GRACE)).toEqual(
				verdict("suspended", "grace_over"),
			);
		}
	});

	it("is suspended for an unpaid subscription even inside the grace period", () => {
		for (const pastDueSince of [null, NOW - DAY]) {
			expect(deriveAccess(facts({ subscriptionStatus: "unpaid", pastDueSince }), NOW, GRACE)).toEqual(
				verdict("suspended", "grace_over"),
			);
		}
	});

	it("is suspended while a dispute is open, over any standing that has not ended", () => {
		for (const over of [
			{},
			{ subscriptionStatus: "trialing" },
			{ subscriptionStatus: "past_due", pastDueSince: NOW - DAY },
			{ subscriptionStatus: "unpaid" },
			{ mode: "payment" as const },
		]) {
			expect(deriveAccess(facts({ ...over, disputeState: "open" }), NOW, GRACE), JSON.stringify(over)).toEqual(
				verdict("suspended", "dispute_open"),
			);
		}
	});

	it("gives back the subscription's standing once a dispute is won", () => {
		expect(deriveAccess(facts({ disputeState: "won" }), NOW, GRACE)).toEqual(verdict("active", "paid"));
		expect(deriveAccess(facts({ disputeState: "won", subscriptionStatus: "trialing" }), NOW, GRACE)).toEqual(
			verdict("active", "trialing"),
		);
		expect(deriveAccess(facts({ disputeState: "won", subscriptionStatus: "canceled" }), NOW, GRACE)).toEqual(
			verdict("ended", "canceled"),
		);
	});

	it("gives no access to a paused subscription or a first payment not yet settled", () => {
		expect(deriveAccess(facts({ subscriptionStatus: "paused" }), NOW, GRACE)).toEqual(verdict("suspended", "paused"));
		expect(deriveAccess(facts({ subscriptionStatus: "incomplete" }), NOW, GRACE)).toEqual(
			verdict("suspended", "payment_pending"),
		);
		expect(
			deriveAccess(facts({ subscriptionStatus: null, paymentStatus: "unpaid", checkoutStatus: "open" }), NOW, GRACE),
		).toEqual(verdict("suspended", "payment_pending"));
	});
});

describe("access: ended", () => {
	it("is ended for a canceled subscription, even with a dispute open", () => {
		for (const disputeState of [null, "open", "won"] as const) {
			expect(deriveAccess(facts({ subscriptionStatus: "canceled", disputeState }), NOW, GRACE)).toEqual(
				verdict("ended", "canceled"),
			);
		}
	});

	it("is ended and expired for incomplete_expired", () => {
		expect(deriveAccess(facts({ subscriptionStatus: "incomplete_expired" }), NOW, GRACE)).toEqual(
			verdict("ended", "expired"),
		);
	});

	it("is ended and expired for a checkout that expired or whose payment failed", () => {
		for (const over of [
			{ paymentStatus: "unpaid", checkoutStatus: "expired" },
			{ paymentStatus: "failed", checkoutStatus: "complete" },
		]) {
			for (const mode of MODES) {
				expect(deriveAccess(facts({ ...over, mode, subscriptionStatus: null }), NOW, GRACE)).toEqual(
					verdict("ended", "expired"),
				);
			}
		}
	});

	it("is ended and refunded once a payment is refunded in full, whatever else holds", () => {
		for (const over of [
			{},
			{ mode: "payment" as const },
			{ subscriptionStatus: "trialing" },
			{ subscriptionStatus: "canceled" },
			{ disputeState: "lost" as const },
			{ disputeState: "open" as const },
		]) {
			expect(deriveAccess(facts({ ...over, refundedAt: NOW - DAY }), NOW, GRACE), JSON.stringify(over)).toEqual(
				verdict("ended", "refunded"),
			);
		}
	});

	it("is ended once a dispute is lost, even for an active subscription", () => {
		for (const over of [{}, { mode: "payment" as const }, { subscriptionStatus: "canceled" }]) {
			expect(deriveAccess(facts({ ...over, disputeState: "lost" }), NOW, GRACE), JSON.stringify(over)).toEqual(
				verdict("ended", "dispute_lost"),
			);
		}
	});
});

describe("graceEndsAt", () => {
	const at = (f: AccessFacts) => graceEndsAt(f, deriveAccess(f, NOW, GRACE), GRACE);

	it("is the first failure plus the grace period while past due", () => {
		const since = NOW - 2 * DAY;
		expect(at(facts({ subscriptionStatus: "past_due", pastDueSince: since }))).toBe(since + GRACE);
		expect(at(facts({ subscriptionStatus: "active", pastDueSince: since }))).toBe(since + GRACE);
	});

	it("is null once the grace is over, when nothing failed, and when the first failure is unknown", () => {
		expect(at(facts({ subscriptionStatus: "past_due", pastDueSince: NOW - 10 * DAY }))).toBeNull();
		expect(at(facts())).toBeNull();
		expect(at(facts({ subscriptionStatus: "past_due" }))).toBeNull();
		expect(at(facts({ subscriptionStatus: "past_due", pastDueSince: NOW - DAY, disputeState: "open" }))).toBeNull();
	});
});

describe("actionFor", () => {
	const none = { invoiceUrl: null, actionRequiredAt: null };
	const toPay = { invoiceUrl: URL, actionRequiredAt: null };
	const toConfirm = { invoiceUrl: URL, actionRequiredAt: NOW };

	it("asks to pay the open invoice of a failed renewal, in and after the grace period", () => {
		expect(actionFor(verdict("past_due", "payment_failed"), toPay)).toEqual({ type: "pay_invoice", url: URL });
		expect(actionFor(verdict("suspended", "grace_over"), toPay)).toEqual({ type: "pay_invoice", url: URL });
	});

	it("asks to update the payment method when there is no invoice page, and for a paused trial", () => {
		expect(actionFor(verdict("past_due", "payment_failed"), none)).toEqual({ type: "update_payment_method" });
		expect(actionFor(verdict("suspended", "grace_over"), none)).toEqual({ type: "update_payment_method" });
		expect(actionFor(verdict("suspended", "paused"), none)).toEqual({ type: "update_payment_method" });
	});

	it("asks to confirm a payment until it succeeds, also while past due or disputed", () => {
		for (const v of [
			verdict("active", "paid"),
			verdict("past_due", "payment_failed"),
			verdict("suspended", "dispute_open"),
		]) {
			expect(actionFor(v, toConfirm), v.reason).toEqual({ type: "confirm_payment", url: URL });
		}
		expect(actionFor(verdict("active", "paid"), { invoiceUrl: null, actionRequiredAt: NOW })).toBeNull();
	});

	it("offers to subscribe again to a canceled or expired plan, never to confirm its payment", () => {
		expect(actionFor(verdict("ended", "canceled"), toConfirm)).toEqual({ type: "subscribe_again" });
		expect(actionFor(verdict("ended", "expired"), none)).toEqual({ type: "subscribe_again" });
	});

	it("offers nothing for a plan in good standing, a refund, a lost or an open dispute", () => {
		for (const v of [
			verdict("active", "paid"),
			verdict("active", "trialing"),
			verdict("ended", "refunded"),
			verdict("ended", "dispute_lost"),
			verdict("suspended", "dispute_open"),
			verdict("suspended", "payment_pending"),
		]) {
			expect(actionFor(v, toPay), v.reason).toBeNull();
		}
	});
});

describe("byAccess", () => {
	const ORDER: Access[] = ["active", "past_due", "suspended", "ended"];

	it("orders every pair best access first", () => {
		for (const [i, a] of ORDER.entries()) {
			for (const [j, b] of ORDER.entries()) {
				expect(Math.sign(byAccess({ access: a }, { access: b })), `${a} vs ${b}`).toBe(Math.sign(i - j));
			}
		}
	});

	it("keeps plans of the same access in their given order", () => {
		const plans = [
			{ crn: "1", access: "ended" as const },
			{ crn: "2", access: "active" as const },
			{ crn: "3", access: "suspended" as const },
			{ crn: "4", access: "active" as const },
			{ crn: "5", access: "past_due" as const },
			{ crn: "6", access: "ended" as const },
		];
		expect([...plans].sort(byAccess).map((p) => p.crn)).toEqual(["2", "4", "5", "3", "1", "6"]);
	});
});
