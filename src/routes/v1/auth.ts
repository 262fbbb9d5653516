// The bearer check every /api/v1 route sits behind (used once, in access.ts):
// APP_API_KEY, a key of the app's own (never ADMIN_TOKEN), compared in constant
// time. Failed attempts are rate-limited per client address.
import { createMiddleware } from "hono/factory";
import { getConfig } from "../../config";
import { timingSafeEqualStrings } from "../../crypto";
import { type AppEnv, jsonError } from "../../http";
import { log } from "../../log";
import { overLimit, tooManyRequests } from "../../rate-limit";

export const requireAppKey = createMiddleware<AppEnv>(async (c, next) => {
	const expected = getConfig(c.env).app.apiKey;
	if (!expected) {
		return jsonError(
			c,
			503,
			"access_api_disabled",
			"The access API is off: wrangler secret put APP_API_KEY (at least 32 characters, not ADMIN_TOKEN).",
		);
	}
	const header = c.req.header("authorization") ?? "";
	const presented = header.startsWith("Bearer ") ? header.slice(7) : "";
	if (!presented || !timingSafeEqualStrings(presented, expected)) {
		// Only failures count, so an app that holds the key never meets the limit.
		log("ACCESS_AUTH_FAILED", { path: new URL(c.req.url).pathname, presented: presented !== "" });
		if (await overLimit(c, "ACCESS_AUTH_LIMITER")) return tooManyRequests(c);
		return jsonError(c, 401, "unauthorized", "A valid APP_API_KEY bearer token is required.");
	}
	await next();
});
