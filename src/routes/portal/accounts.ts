// The customer's login: set a password with a link, log in and out, and who am
// I (every plan the login holds). Session cookie: __Host- prefixed, HttpOnly,
// Secure, SameSite=Lax.

import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { Hono } from "hono/tiny";
import { deps } from "../../deps";
import { type AppContext, type AppEnv, jsonError, readJsonObject } from "../../http";
import { log } from "../../log";
import { login, logout, sessionUser, setPasswordWithToken } from "../../onboarding/accounts";
import { meView } from "../../onboarding/subscriptions";
import { overEmailLimit, rateLimit, tooManyRequests } from "../../rate-limit";
import { MAX_EMAIL_LENGTH, normalizeEmail } from "../../rules/email-address";

/** Sent as `__Host-portal_session`: only this origin, path /, Secure, never a Domain. */
export const SESSION_COOKIE = "portal_session";

export const accountRoutes = new Hono<AppEnv>();

accountRoutes.post("/password", rateLimit("PASSWORD_LIMITER"), async (c) => {
	const body = await readJsonObject(c);
	const token = typeof body?.token === "string" ? body.token : "";
	const password = typeof body?.password === "string" ? body.password : "";
	if (!token || !password) {
		return jsonError(c, 400, "invalid_request", "Send the token from your email and a new password.");
	}
	const d = deps(c.env);
	const result = await setPasswordWithToken(d.db, token.slice(0, 128), password.slice(0, 1024), d.clock());
	if (!result.ok) {
		return jsonError(c, result.reason === "token_expired" ? 410 : 400, result.reason, result.message);
	}
	log("PASSWORD_SET", { email_domain: result.email.split("@")[1], purpose: result.purpose });
	return c.json({ ok: true });
});

accountRoutes.post("/login", rateLimit("LOGIN_LIMITER"), async (c) => {
	const body = await readJsonObject(c);
	const email = normalizeEmail(body?.email).slice(0, MAX_EMAIL_LENGTH);
	const password = typeof body?.password === "string" ? body.password : "";
	if (!email || !password) return jsonError(c, 400, "invalid_request", "Enter your email and password.");
	// Per email too: one account guessed at from many addresses.
	if (await overEmailLimit(c, "LOGIN_EMAIL_LIMITER", email)) return tooManyRequests(c);
	const d = deps(c.env);
	const result = await login(d.db, email, password.slice(0, 1024), d.clock());
	if (!result.ok) {
		log("LOGIN_FAILED", { email_domain: email.split("@")[1] ?? "" });
		return jsonError(c, 401, "invalid_credentials", "Email or password is incorrect.");
	}
	setCookie(c, SESSION_COOKIE, result.sessionToken, {
		prefix: "host",
		httpOnly: true,
		secure: true,
		sameSite: "Lax",
		path: "/",
		expires: new Date(result.expiresAt),
	});
	return c.json({ ok: true });
});

accountRoutes.post("/logout", async (c) => {
	const token = getCookie(c, SESSION_COOKIE, "host");
	if (token) await logout(deps(c.env).db, token);
	deleteCookie(c, SESSION_COOKIE, { prefix: "host", path: "/", secure: true, httpOnly: true, sameSite: "Lax" });
	return c.json({ ok: true });
});

/** The logged-in login of this request, if any. */
export async function currentUser(c: AppContext) {
	const token = getCookie(c, SESSION_COOKIE, "host");
	const d = deps(c.env);
	return token ? sessionUser(d.db, token, d.clock()) : undefined;
}

accountRoutes.get("/me", async (c) => {
	const user = await currentUser(c);
	if (!user) return jsonError(c, 401, "unauthenticated", "Please log in.");
	const d = deps(c.env);
	return c.json(await meView(d.db, user, d.config, d.clock()));
});
