// What GET /api/v1/access tells the operator's app: for an email, every plan
// of its login and the best access among them; for a CRN, that one plan. Access
// is derived by the same rule the dashboard uses (planView), never stored.
import type { Config } from "../config";
import { planByCrn, plansByEmail } from "../db/access";
import type { Db } from "../db/database";
import { type PlanRow, planView } from "../onboarding/subscriptions";
import { type Access, type AccessReason, byAccess } from "../rules/access";

export interface PlanAccess {
	crn: string;
	plan_code: string;
	/** Stripe's subscription status; null for a one-time purchase. */
	status: string | null;
	access: Access;
	reason: AccessReason;
	/** When the paid period or trial ends, ISO 8601; null for a one-time purchase. */
	current_period_end: string | null;
}

export interface AccessByEmail {
	email: string;
	/** The best access among the plans; `none` when the email holds no plan. */
	access: Access | "none";
	/** Best access first; within a level, newest first. */
	plans: PlanAccess[];
}

export interface AccessByCrn extends PlanAccess {
	email: string;
}

type AccessConfig = Pick<Config, "plans" | "pastDueGraceMs">;

function planAccess(row: PlanRow, config: AccessConfig, now: number): PlanAccess {
	const view = planView(row, config, now);
	return {
		crn: view.crn,
		plan_code: view.plan_code,
		status: view.status,
		access: view.access,
		reason: view.reason,
		current_period_end: view.current_period_end,
	};
}

/** `email` is already normalized (trimmed, lowercase), the spelling logins are stored in. */
export async function accessByEmail(db: Db, email: string, config: AccessConfig, now: number): Promise<AccessByEmail> {
	const rows = await plansByEmail(db, email);
	const plans = rows.map((row) => planAccess(row, config, now)).sort(byAccess);
	return { email, access: plans[0]?.access ?? "none", plans };
}

/** null when no provisioned plan has this CRN. */
export async function accessByCrn(db: Db, crn: string, config: AccessConfig, now: number): Promise<AccessByCrn | null> {
	const row = await planByCrn(db, crn);
	if (!row) return null;
	const { email, ...facts } = row;
	const { crn: found, ...plan } = planAccess(facts, config, now);
	return { crn: found, email, ...plan };
}
