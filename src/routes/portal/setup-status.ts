// GET /api/portal/setup-status?t=<onboarding token>: the onboarding read model. Unknown, malformed or
// missing token: the same 404 (429 once an address keeps guessing), so the
// route reveals nothing about tokens.
import { Hono } from "hono/tiny";
import { isTokenShaped } from "../../crypto";
import { deps } from "../../deps";
import { type AppEnv, jsonError } from "../../http";
import { readOnboardingStatus } from "../../onboarding/status-query";
import { overLimit, tooManyRequests } from "../../rate-limit";

export const setupStatusRoutes = new Hono<AppEnv>();

setupStatusRoutes.get("/setup-status", async (c) => {
	const token = c.req.query("t");
	const d = deps(c.env);
	const status = isTokenShaped(token) ? await readOnboardingStatus({ ...d, now: d.clock() }, token) : null;
	if (!status) {
		// Token guessing is the abuse to limit here. A known token's poll is one
		// indexed read, and its calls to Stripe are already limited per client.
		if (await overLimit(c, "STATUS_LIMITER")) return tooManyRequests(c);
		return jsonError(c, 404, "not_found", "This onboarding link is not valid.");
	}
	return c.json({
		crn: status.crn,
		payment_state: status.payment_state,
		provisioning_state: status.provisioning_state,
		password_state: status.password_state,
		next_action: status.next_action,
		// What the plan gives once paid (src/rules/access.ts), as the dashboard shows it.
		access: status.access,
		reason: status.reason,
		// So a checkout that ended unpaid can offer the same plan again.
		plan_code: status.planCode,
		support_email: d.config.supportEmail,
		updated_at: new Date(status.updatedAt).toISOString(),
		...(d.config.devTools ? { dev: { outbox_url: "/dev/outbox" } } : {}),
	});
});
