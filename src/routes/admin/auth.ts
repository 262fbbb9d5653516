// The bearer check every /api/admin route sits behind (used once, in admin/index.ts),
// so a new admin route cannot forget it. Failed attempts are rate-limited per
// client address.
import { createMiddleware } from "hono/factory";
import { DEV_ADMIN_TOKEN, getConfig } from "../../config";
import { timingSafeEqualStrings } from "../../crypto";
import { type AppEnv, jsonError } from "../../http";
import { log } from "../../log";
import { isLoopbackOrigin } from "../../origins";
import { overLimit, tooManyRequests } from "../../rate-limit";

export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
	const config = getConfig(c.env);
	// The development token is public (README): it opens nothing unless dev tools
	// are on (no Stripe key, a loopback APP_URL) and this request reached a loopback host.
	const devTokenAllowed = config.devTools && isLoopbackOrigin(c.req.url);
	const expected = config.adminToken === DEV_ADMIN_TOKEN && !devTokenAllowed ? undefined : config.adminToken;
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
