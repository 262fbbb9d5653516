// GET /api/admin/plans?access=&reason=&limit=: recent plans filtered by the
// access they give and why (src/operations/plan-filter.ts). Mounted inside
// adminRoutes, behind its bearer check.
import { Hono } from "hono/tiny";
import { deps } from "../../deps";
import { type AppEnv, jsonError } from "../../http";
import { filterPlans, MAX_PLAN_FILTER_LIMIT, parsePlanFilter } from "../../operations/plan-filter";
import { ACCESS_LEVELS, ACCESS_REASONS } from "../../rules/access";

export const planRoutes = new Hono<AppEnv>();

planRoutes.get("/plans", async (c) => {
	const parsed = parsePlanFilter({
		access: c.req.query("access"),
		reason: c.req.query("reason"),
		limit: c.req.query("limit"),
	});
	if (!parsed.ok) {
		switch (parsed.reason) {
			case "invalid_access":
				return jsonError(c, 400, "invalid_access", `access must be one of ${ACCESS_LEVELS.join(", ")}.`);
			case "invalid_reason":
				return jsonError(c, 400, "invalid_reason", `reason must be one of ${ACCESS_REASONS.join(", ")}.`);
			case "invalid_limit":
				return jsonError(c, 400, "invalid_limit", `limit must be a whole number from 1 to ${MAX_PLAN_FILTER_LIMIT}.`);
		}
	}
	const d = deps(c.env);
	return c.json(await filterPlans(d.db, parsed.filter, { now: d.clock(), graceMs: d.config.pastDueGraceMs }));
});
