// POST /api/portal/password-reset and /api/portal/setup-link: getting back in
// with a set-password link, by email ("Forgot password?") or by onboarding token
// ("Send the email again"). Both only enqueue; the work queue sends the email.
import { Hono } from "hono/tiny";
import { isTokenShaped } from "../../crypto";
import { deps } from "../../deps";
import { type AppEnv, jsonError, readJsonObject } from "../../http";
import { log } from "../../log";
import { requestPasswordReset, requestSetupLink } from "../../onboarding/links";
import { overEmailLimit, overLimit, tooManyRequests } from "../../rate-limit";
import { parseEmail } from "../../rules/email-address";

export const linkRoutes = new Hono<AppEnv>();

/**
 * Always 202 `{ok: true}` for a well-formed email, known or not, after the same
 * work (two limiter hits and one queue send), so neither the answer, its time
 * nor the limits tell whether the email has a login.
 */
linkRoutes.post("/password-reset", async (c) => {
	const body = await readJsonObject(c);
	const email = parseEmail(body?.email);
	if (!email) {
		return jsonError(c, 400, "invalid_request", "Enter the email address you use to log in.");
	}
	if ((await overLimit(c, "RESET_LIMITER")) || (await overEmailLimit(c, "RESET_EMAIL_LIMITER", email))) {
		return tooManyRequests(c);
	}
	const d = deps(c.env);
	await requestPasswordReset({ ...d, now: d.clock() }, email);
	log("LINK_REQUESTED", { purpose: "reset", email_domain: email.split("@")[1] });
	return c.json({ ok: true }, 202);
});

linkRoutes.post("/setup-link", async (c) => {
	const body = await readJsonObject(c);
	const token = body?.t;
	const d = deps(c.env);
	const result = isTokenShaped(token)
		? await requestSetupLink({ ...d, now: d.clock() }, token)
		: ({ ok: false, reason: "not_found" } as const);
	if (result.ok) {
		log("LINK_REQUESTED", { purpose: "setup" });
		return c.json({ ok: true }, 202);
	}
	switch (result.reason) {
		case "not_found":
			// Guessing tokens is the abuse here, as on the status route.
			if (await overLimit(c, "STATUS_LIMITER")) return tooManyRequests(c);
			return jsonError(c, 404, "not_found", "This onboarding link is not valid.");
		case "not_ready":
			return jsonError(c, 409, "not_ready", "Your portal is still being set up; the email follows in a moment.");
		case "password_already_set":
			return jsonError(
				c,
				409,
				"password_already_set",
				"Your password is already set. Log in, or use “Forgot password?” to choose a new one.",
			);
		case "queue_unavailable":
			c.header("Retry-After", "10");
			return jsonError(c, 503, "try_again", "We could not send it just now. Please try again in a moment.");
		case "too_soon":
			c.header("Retry-After", "60");
			return jsonError(c, 429, "rate_limited", "We just sent one. Please wait a minute before asking again.");
	}
});
