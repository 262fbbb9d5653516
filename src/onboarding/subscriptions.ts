// What a login holds: every plan with its subscription status and the access it
// gives, best access first. The dashboard shows this; /api/portal/me returns it.
import type { Config } from "../config";
import { plansOfUser } from "../db/accounts";
import type { Db } from "../db/database";
import { type Access, accessOf, isPaid } from "../rules/subscription-status";

export interface PlanView {
	crn: string;
	plan_code: string;
	plan_name: string;
	status: string | null;
	access: Access;
	/** Internal: which Stripe customer the Billing Portal opens for this plan. */
	stripeCustomerId: string | null;
	name: string;
	paid: boolean;
}

const ACCESS_ORDER: Record<Access, number> = { active: 0, past_due: 1, ended: 2 };

export async function plansOfLogin(db: Db, userId: string, plans: Config["plans"]): Promise<PlanView[]> {
	const rows = await plansOfUser(db, userId);
	const views = rows.map((row) => ({
		crn: row.crn,
		plan_code: row.planCode,
		plan_name: plans.get(row.planCode)?.name ?? row.planCode,
		// Before Stripe reports a subscription status, a paid checkout means active.
		status: row.subscriptionStatus ?? (isPaid(row) ? "active" : null),
		access: accessOf(row),
		stripeCustomerId: row.stripeCustomerId,
		name: row.name,
		paid: isPaid(row),
	}));
	// Stable: within an access class, newest first (the query's order).
	return views.sort((a, b) => ACCESS_ORDER[a.access] - ACCESS_ORDER[b.access]);
}
