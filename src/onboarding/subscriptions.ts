// What a login holds: every plan with the access it gives and why, when it
// renews or ends, and the one thing the customer can do about it now; best
// access first. /api/portal/me and the dashboard show this.
import type { Config } from "../config";
import { loginName, plansOfUser } from "../db/accounts";
import type { Db } from "../db/database";
import {
	type AccessFacts,
	type AccessVerdict,
	actionFor,
	byAccess,
	deriveAccess,
	graceEndsAt,
	type PlanAction,
} from "../rules/access";

export interface PlanView extends AccessVerdict {
	crn: string;
	plan_code: string;
	plan_name: string;
	status: string | null;
	/** When the paid period or trial ends (renews, unless canceled), ISO 8601. */
	current_period_end: string | null;
	/** Until when a failed renewal keeps access, ISO 8601. */
	grace_ends_at: string | null;
	action?: PlanAction;
}

export interface PlanRow extends AccessFacts {
	crn: string;
	planCode: string;
	currentPeriodEnd: number | null;
	openInvoiceUrl: string | null;
	actionRequiredAt: number | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** One plan as the customer (and the operator's app) sees it. Pure. */
export function planView(row: PlanRow, config: Pick<Config, "plans" | "pastDueGraceMs">, now: number): PlanView {
	const verdict = deriveAccess(row, now, config.pastDueGraceMs);
	const action = actionFor(verdict, { invoiceUrl: row.openInvoiceUrl, actionRequiredAt: row.actionRequiredAt });
	return {
		crn: row.crn,
		plan_code: row.planCode,
		plan_name: config.plans.get(row.planCode)?.name ?? row.planCode,
		// A one-time purchase has no subscription; before Stripe reports one, a paid checkout means active.
		status: row.mode === "payment" ? null : (row.subscriptionStatus ?? (verdict.reason === "paid" ? "active" : null)),
		access: verdict.access,
		reason: verdict.reason,
		current_period_end: row.mode === "payment" ? null : iso(row.currentPeriodEnd),
		grace_ends_at: iso(graceEndsAt(row, verdict, config.pastDueGraceMs)),
		...(action ? { action } : {}),
	};
}

export async function plansOfLogin(
	db: Db,
	userId: string,
	config: Pick<Config, "plans" | "pastDueGraceMs">,
	now: number,
) {
	const rows = await plansOfUser(db, userId);
	// Stable: within an access level, newest first (the query's order).
	return rows.map((row) => ({ view: planView(row, config, now), row })).sort((a, b) => byAccess(a.view, b.view));
}

/** A plan as its login sees it on the dashboard. */
export interface MePlanView extends PlanView {
	/** Added by a later purchase to a login that already had a password: perhaps someone else's. */
	added_to_existing_login: boolean;
}

export interface MeView {
	email: string;
	/** The name the login's first purchase gave. */
	name: string;
	crn: string | null;
	plan_code: string | null;
	plan_name: string | null;
	subscription_status: string | null;
	payment_state: "paid" | "unpaid";
	/** Every plan of the login, best access first. */
	subscriptions: MePlanView[];
}

/** GET /api/portal/me: the login and every plan it holds. */
export async function meView(
	db: Db,
	login: { userId: string; email: string },
	config: Pick<Config, "plans" | "pastDueGraceMs">,
	now: number,
): Promise<MeView> {
	const plans = await plansOfLogin(db, login.userId, config, now);
	const primary = plans[0]?.view;
	return {
		email: login.email,
		// The login's first purchase's, never a later buyer's.
		name: await loginName(db, login.userId),
		crn: primary?.crn ?? null,
		plan_code: primary?.plan_code ?? null,
		plan_name: primary?.plan_name ?? null,
		subscription_status: primary?.status ?? null,
		payment_state: primary && primary.access !== "ended" && primary.reason !== "payment_pending" ? "paid" : "unpaid",
		subscriptions: plans.map((p) => ({ ...p.view, added_to_existing_login: p.row.addedToLoginAt !== null })),
	};
}

/** The Stripe customer whose Billing Portal a login opens: its own, else the chosen plan's. */
export async function billingCustomerOf(
	db: Db,
	login: { userId: string; stripeCustomerId: string | null },
	crn: string | undefined,
): Promise<string | null> {
	if (login.stripeCustomerId && !crn) return login.stripeCustomerId;
	const rows = await plansOfUser(db, login.userId);
	const wanted = crn ? rows.find((r) => r.crn === crn) : undefined;
	return (
		wanted?.stripeCustomerId ?? login.stripeCustomerId ?? rows.find((r) => r.stripeCustomerId)?.stripeCustomerId ?? null
	);
}
