// The bearer check every /api/admin route sits behind (used once, in admin/index.ts),
// so a new admin route cannot forget it. Failed attempts are rate-limited per
// client address.
import { createMiddleware } from "hono/factory";
import { getConfig } from "../../config";
import { timingSafeEqualStrings } from "../../crypto";
import { type AppEnv, jsonError } from "../../http";
import { log } from "../../log";
import { overLimit, tooManyRequests } from "../../rate-limit";

export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
	const expected = getConfig(c.env).adminToken;
	if (!expected) return jsonError(c, 503, "admin_disabled", "ADMIN_TOKEN is not set: wrangler secret put ADMIN_TOKEN");
	const header = c.req.header("authorization") ?? "";
	const presented = header.startsWith("Bearer ") ? header.slice(7) : "";
	if (!presented || !timingSafeEqualStrings(presented, expected)) {
		// Only failures count, so a working console never meets the limit.
		log("ADMIN_AUTH_FAILED", { path: new URL(c.req.url).pathname, presented: presented !== "" });
		if (await overLimit(c, "ADMIN_AUTH_LIMITER")) return tooManyRequests(c);
		return jsonError(c, 401, "unauthorized", "A valid admin bearer token is required.");
	}
	await next();
});
