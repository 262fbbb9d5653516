// The one bearer check, for the admin API and the operator's app's API alike:
// the expected secret from config (unset → 503 with how to set it), compared
// in constant time; only failures are logged and counted toward a per-address
// limit, so a client holding the right key never meets it.
import { createMiddleware } from "hono/factory";
import type { Config } from "../config";
import { getConfig } from "../config";
import { timingSafeEqualStrings } from "../crypto";
import { type AppEnv, jsonError } from "../http";
import { type LogEvent, log } from "../log";
import { overLimit, tooManyRequests } from "../rate-limit";

export interface BearerRule {
	/** The secret to expect of this request (its URL: the development token is only for loopback). */
	expected: (config: Config, requestUrl: string) => string | undefined;
	limiter: "ADMIN_AUTH_LIMITER" | "ACCESS_AUTH_LIMITER";
	failedEvent: LogEvent;
	disabled: { error: string; message: string };
	unauthorized: string;
}

export function requireBearer(rule: BearerRule) {
	return createMiddleware<AppEnv>(async (c, next) => {
		const expected = rule.expected(getConfig(c.env), c.req.url);
		if (!expected) return jsonError(c, 503, rule.disabled.error, rule.disabled.message);
		const header = c.req.header("authorization") ?? "";
		const presented = header.startsWith("Bearer ") ? header.slice(7) : "";
		if (!presented || !timingSafeEqualStrings(presented, expected)) {
			log(rule.failedEvent, { path: new URL(c.req.url).pathname, presented: presented !== "" });
			if (await overLimit(c, rule.limiter)) return tooManyRequests(c);
			return jsonError(c, 401, "unauthorized", rule.unauthorized);
		}
		await next();
	});
}
