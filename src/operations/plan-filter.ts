// Support's filter over recent plans by access and reason ("which customers
// are suspended by a dispute?"): parse the query, derive each plan's access
// with the one rule (src/rules/access.ts), keep the matches. Wire shape of
// GET /api/admin/plans.
import type { Db } from "../db/database";
import { recentPlansWithLogin } from "../db/plan-list";
import { ACCESS_LEVELS, ACCESS_REASONS, type Access, type AccessReason, deriveAccess } from "../rules/access";

export const DEFAULT_PLAN_FILTER_LIMIT = 50;
export const MAX_PLAN_FILTER_LIMIT = 200;

export interface PlanFilter {
	access?: Access;
	reason?: AccessReason;
	limit: number;
}

export interface FilteredPlan {
	crn: string;
	/** Only the domain: a filtered list is a screen an operator may share; the full email is one search away. */
	email_domain: string;
	plan_code: string;
	access: Access;
	reason: AccessReason;
	subscription_status: string | null;
	updated_at: number;
}

export type PlanFilterParse =
	| { ok: true; filter: PlanFilter }
	| { ok: false; reason: "invalid_access" | "invalid_reason" | "invalid_limit" };

const isOneOf = <T extends string>(list: readonly T[], value: string): value is T =>
	(list as readonly string[]).includes(value);

/** The query string as a filter; an empty parameter means "any". Pure. */
export function parsePlanFilter(query: { access?: string; reason?: string; limit?: string }): PlanFilterParse {
	const access = query.access?.trim() || undefined;
	const reason = query.reason?.trim() || undefined;
	const rawLimit = query.limit?.trim() || String(DEFAULT_PLAN_FILTER_LIMIT);
	if (access !== undefined && !isOneOf(ACCESS_LEVELS, access)) return { ok: false, reason: "invalid_access" };
	if (reason !== undefined && !isOneOf(ACCESS_REASONS, reason)) return { ok: false, reason: "invalid_reason" };
	const limit = Number(rawLimit);
	if (!/^\d+$/.test(rawLimit) || limit < 1 || limit > MAX_PLAN_FILTER_LIMIT)
		return { ok: false, reason: "invalid_limit" };
	return { ok: true, filter: { access, reason, limit } };
}

/** Recent plans with a login (newest change first) whose access and reason match. */
export async function filterPlans(
	db: Db,
	filter: PlanFilter,
	at: { now: number; graceMs: number },
): Promise<{ plans: FilteredPlan[] }> {
	const rows = await recentPlansWithLogin(db);
	const plans: FilteredPlan[] = [];
	for (const row of rows) {
		const { access, reason } = deriveAccess(row, at.now, at.graceMs);
		if ((filter.access && access !== filter.access) || (filter.reason && reason !== filter.reason)) continue;
		plans.push({
			crn: row.crn,
			email_domain: row.email.slice(row.email.indexOf("@") + 1),
			plan_code: row.planCode,
			access,
			reason,
			subscription_status: row.subscriptionStatus,
			updated_at: row.updatedAt,
		});
		if (plans.length === filter.limit) break;
	}
	return { plans };
}
