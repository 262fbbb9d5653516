// Abuse limits through the Workers rate limiting binding, keyed by client
// address or by email. Over a limit: 429 with Retry-After, a log line, and
// every other client keeps being served.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { sha256Hex } from "./crypto";
import { type AppEnv, jsonError } from "./http";
import { log } from "./log";
import { normalizeEmail } from "./rules/email-address";

type AddressLimiter =
	| "CHECKOUT_LIMITER"
	| "LOGIN_LIMITER"
	| "PASSWORD_LIMITER"
	| "STATUS_LIMITER"
	| "RESET_LIMITER"
	| "ADMIN_AUTH_LIMITER"
	| "ACCESS_AUTH_LIMITER";
type EmailLimiter = "LOGIN_EMAIL_LIMITER" | "RESET_EMAIL_LIMITER";
type LoginLimiter = "BILLING_LIMITER";

/** The limiters' window (wrangler.toml `period`). */
const PERIOD_SECONDS = 60;

/**
 * The key for a client address. An IPv6 client holds a whole /64 (one
 * subscriber's prefix), so counting each address alone would let it rotate
 * through 2^64 keys: its first four groups are the key.
 */
export function clientAddressKey(ip: string): string {
	if (!ip.includes(":")) return ip;
	// An IPv4 client seen through IPv6 (::ffff:192.0.2.1) is keyed as the IPv4 address it is.
	const mapped = ip.match(/^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i);
	if (mapped?.[1]) return mapped[1];
	const [head = "", tail = ""] = ip.toLowerCase().split("::");
	const left = head ? head.split(":") : [];
	const right = tail ? tail.split(":") : [];
	const groups = ip.includes("::") ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right] : left;
	return `${groups
		.slice(0, 4)
		.map((g) => g.replace(/^0+(?=.)/, ""))
		.join(":")}::/64`;
}

async function hit(
	c: Context<AppEnv>,
	name: AddressLimiter | EmailLimiter | LoginLimiter,
	key: string,
): Promise<boolean> {
	const { success } = await c.env[name].limit({ key });
	if (!success) log("RATE_LIMITED", { limiter: name, path: new URL(c.req.url).pathname });
	return !success;
}

/** Counts one hit for this client address; true when it is over the limit (and logs it). */
export function overLimit(c: Context<AppEnv>, name: AddressLimiter): Promise<boolean> {
	return hit(c, name, clientAddressKey(c.req.header("cf-connecting-ip") ?? "unknown"));
}

/** Counts one hit for this email, known or not, so the limit itself reveals nothing. Keyed by a hash. */
export async function overEmailLimit(c: Context<AppEnv>, name: EmailLimiter, email: string): Promise<boolean> {
	return hit(c, name, await sha256Hex(`${name}:${normalizeEmail(email)}`));
}

/** Counts one hit for a logged-in login, wherever its requests come from. */
export function overLoginLimit(c: Context<AppEnv>, name: LoginLimiter, userId: string): Promise<boolean> {
	return hit(c, name, `${name}:${userId}`);
}

export function tooManyRequests(c: Context<AppEnv>) {
	c.header("Retry-After", String(PERIOD_SECONDS));
	return jsonError(c, 429, "rate_limited", "Too many requests. Please wait a minute and try again.");
}

export function rateLimit(name: AddressLimiter) {
	return createMiddleware<AppEnv>(async (c, next) => {
		if (await overLimit(c, name)) return tooManyRequests(c);
		await next();
	});
}
