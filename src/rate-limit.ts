// Per-client-IP limits on the routes a script could abuse, through the Workers
// rate limiting binding. Over the limit: 429 with Retry-After, a log line, and
// every other client keeps being served.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { type AppEnv, jsonError } from "./http";
import { log } from "./log";

type LimiterName = "CHECKOUT_LIMITER" | "LOGIN_LIMITER" | "PASSWORD_LIMITER" | "STATUS_LIMITER";

/** The limiters' window (wrangler.toml `period`). */
const PERIOD_SECONDS = 60;

/** Counts one hit for this client IP; true when it is over the limit (and logs it). */
export async function overLimit(c: Context<AppEnv>, name: LimiterName): Promise<boolean> {
	const ip = c.req.header("cf-connecting-ip") ?? "unknown";
	const { success } = await c.env[name].limit({ key: ip });
	if (!success) log("RATE_LIMITED", { limiter: name, path: new URL(c.req.url).pathname });
	return !success;
}

export function tooManyRequests(c: Context<AppEnv>) {
	c.header("Retry-After", String(PERIOD_SECONDS));
	return jsonError(c, 429, "rate_limited", "Too many requests. Please wait a minute and try again.");
}

export function rateLimit(name: LimiterName) {
	return createMiddleware<AppEnv>(async (c, next) => {
		if (await overLimit(c, name)) return tooManyRequests(c);
		await next();
	});
}
