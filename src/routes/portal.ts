// The customer's portal API: set password (once), log in/out, who am I, and
// the Stripe Billing Portal link. Session cookie: HttpOnly; Secure; SameSite=Lax.
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { csrf } from "hono/csrf";
import { deps } from "../deps";
import { type AppContext, type AppEnv, jsonError, readJsonObject } from "../http";
import { log } from "../log";
import { login, logout, sessionUser, setPasswordWithToken } from "../onboarding/accounts";
import { rateLimit } from "../rate-limit";
import { isPaid } from "../rules/subscription-status";
import { StripeApiError } from "../stripe/api";

export const SESSION_COOKIE = "portal_session";

export const portalRoutes = new Hono<AppEnv>();

// Cookie-authenticated writes must come from our own pages.
portalRoutes.use("/portal/*", csrf());

portalRoutes.post("/portal/password", rateLimit("PASSWORD_LIMITER"), async (c) => {
	const body = await readJsonObject(c);
	const token = typeof body?.token === "string" ? body.token : "";
	const password = typeof body?.password === "string" ? body.password : "";
	if (!token || !password) {
		return jsonError(c, 400, "invalid_request", "Send the token from your email and a new password.");
	}
	const d = deps(c.env);
	const result = await setPasswordWithToken(d.db, token, password, d.clock());
	if (!result.ok) {
		return jsonError(c, result.reason === "token_expired" ? 410 : 400, result.reason, result.message);
	}
	log("PASSWORD_SET", { email_domain: result.email.split("@")[1] });
	return c.json({ ok: true });
});

portalRoutes.post("/portal/login", rateLimit("LOGIN_LIMITER"), async (c) => {
	const body = await readJsonObject(c);
	const email = typeof body?.email === "string" ? body.email : "";
	const password = typeof body?.password === "string" ? body.password : "";
	if (!email || !password) return jsonError(c, 400, "invalid_request", "Enter your email and password.");
	const d = deps(c.env);
	const result = await login(d.db, email, password.slice(0, 1024), d.clock());
	if (!result.ok) {
		log("LOGIN_FAILED", { email_domain: email.split("@")[1] ?? "" });
		return jsonError(c, 401, "invalid_credentials", "Email or password is incorrect.");
	}
	setCookie(c, SESSION_COOKIE, result.sessionToken, {
		httpOnly: true,
		secure: true,
		sameSite: "Lax",
		path: "/",
		expires: new Date(result.expiresAt),
	});
	return c.json({ ok: true });
});

portalRoutes.post("/portal/logout", async (c) => {
	const token = getCookie(c, SESSION_COOKIE);
	if (token) await logout(deps(c.env).db, token);
	deleteCookie(c, SESSION_COOKIE, { path: "/", secure: true, httpOnly: true, sameSite: "Lax" });
	return c.json({ ok: true });
});

async function currentUser(c: AppContext) {
	const token = getCookie(c, SESSION_COOKIE);
	const d = deps(c.env);
	return token ? sessionUser(d.db, token, d.clock()) : undefined;
}

portalRoutes.get("/portal/me", async (c) => {
	const user = await currentUser(c);
	if (!user) return jsonError(c, 401, "unauthenticated", "Please log in.");
	const plan = deps(c.env).config.plans.get(user.planCode);
	return c.json({
		email: user.email,
		name: user.name,
		crn: user.crn,
		plan_code: user.planCode,
		plan_name: plan?.name ?? user.planCode,
		subscription_status: user.subscriptionStatus,
		payment_state: isPaid(user) ? "paid" : "unpaid",
	});
});

portalRoutes.post("/portal/billing", async (c) => {
	const user = await currentUser(c);
	if (!user) return jsonError(c, 401, "unauthenticated", "Please log in.");
	const { config, stripe } = deps(c.env);
	if (!stripe || !user.stripeCustomerId) {
		return jsonError(c, 503, "billing_unavailable", "Billing management is not available for this account yet.");
	}
	try {
		const session = await stripe.createBillingPortalSession({
			customer: user.stripeCustomerId,
			return_url: `${config.appUrl}/dashboard`,
		});
		return c.json({ url: session.url });
	} catch (error) {
		if (error instanceof StripeApiError) {
			return jsonError(c, 502, "stripe_unavailable", "The billing portal could not be opened. Please try again.");
		}
		throw error;
	}
});
