// POST /api/checkout (mounted at /api/checkout) and GET /api/plans (at
// /api/plans). Validation is hand-written: three fields do not justify zod's
// weight in a bundle every webhook cold-starts.
import { Hono } from "hono/tiny";
import type { Config, Plan } from "../config";
import { deps } from "../deps";
import { type AppEnv, jsonError, readJsonObject } from "../http";
import { errorMessage, log } from "../log";
import { type CheckoutInput, startCheckout } from "../onboarding/checkout";
import { rateLimit } from "../rate-limit";
import { normalizeEmail, parseEmail } from "../rules/email-address";
import { MAX_NAME_LENGTH, plainName } from "../rules/names";
import { StripeApiError } from "../stripe/api";
import { resolvePlanPrices } from "../stripe/plan-prices";

export const checkoutRoutes = new Hono<AppEnv>();
export const planRoutes = new Hono<AppEnv>();

planRoutes.get("/", (c) => {
	const { config } = deps(c.env);
	const plans = [...config.plans.values()].map((p) => ({ code: p.code, name: p.name, price: p.priceDisplay }));
	c.header("Cache-Control", "public, max-age=60");
	return c.json({ plans });
});

type CheckoutBody =
	| { ok: true; input: CheckoutInput }
	| { ok: false; code: "invalid_request" | "unknown_plan"; fields: Record<string, string> };

/** The sign-up form's three fields, each with its own message; a known plan comes back as its `Plan`. */
export function parseCheckoutBody(body: Record<string, unknown>, plans: Config["plans"]): CheckoutBody {
	const fields: Record<string, string> = {};
	const email = normalizeEmail(body.email);
	const raw = typeof body.name === "string" ? body.name.trim() : "";
	// Plain text on one line: the name reaches pages and email headers' neighbours (src/rules/names.ts).
	const name = plainName(raw);
	const planCode = typeof body.plan_code === "string" ? body.plan_code.trim() : "";
	if (!email) fields.email = "Enter your email address.";
	else if (!parseEmail(email)) fields.email = "Enter a valid email address.";
	if (!name) fields.name = "Enter your name.";
	else if (raw.length > MAX_NAME_LENGTH) fields.name = `Use at most ${MAX_NAME_LENGTH} characters.`;
	let plan: Plan | undefined;
	if (!planCode) fields.plan_code = "Choose a plan.";
	else {
		plan = plans.get(planCode);
		if (!plan) fields.plan_code = `Unknown plan "${planCode.slice(0, 40)}".`;
	}
	if (plan && Object.keys(fields).length === 0) return { ok: true, input: { email, name, plan } };
	return { ok: false, code: planCode && !plan ? "unknown_plan" : "invalid_request", fields };
}

/** Why checkout must not start with this configuration; null when it may. */
function checkoutBlocker(config: Config, hasStripe: boolean): { check: string; hint: string } | null {
	if (!hasStripe && !config.devTools) {
		return { check: "stripe_key", hint: "no usable STRIPE_SECRET_KEY: checkout is unavailable" };
	}
	// Stripe would send paying customers back to an origin they cannot reach.
	if (config.mode === "live" && !config.appUrlPublic) {
		return { check: "app_url", hint: `APP_URL ${config.appUrl} is not an https public origin: live checkout refused` };
	}
	return null;
}

checkoutRoutes.post("/", rateLimit("CHECKOUT_LIMITER"), async (c) => {
	const d = deps(c.env);
	const body = await readJsonObject(c);
	if (!body) return jsonError(c, 400, "invalid_json", "Send a JSON object with email, name and plan_code.");
	const parsed = parseCheckoutBody(body, d.config.plans);
	if (!parsed.ok)
		return jsonError(c, 400, parsed.code, "Please correct the highlighted fields.", { fields: parsed.fields });

	const unavailable = checkoutBlocker(d.config, d.stripe !== null);
	if (unavailable) {
		log("CONFIG_ERROR", unavailable);
		return jsonError(c, 503, "checkout_unavailable", "Checkout is not available right now. Please try again later.");
	}
	// A plan named by lookup_key sells nothing until Stripe has named its price (logged as CONFIG_ERROR).
	if (!(await resolvePlanPrices(d.config, d.stripe)).ok)
		return jsonError(c, 503, "checkout_unavailable", "Checkout is not available right now. Please try again later.");
	try {
		const started = await startCheckout({ ...d, now: d.clock() }, parsed.input);
		log("CHECKOUT_CREATED", {
			client_id: started.clientId,
			crn: started.crn,
			plan_code: parsed.input.plan.code,
			checkout_session_id: started.checkoutSessionId,
		});
		return c.json({
			checkout_url: started.checkoutUrl,
			client_id: started.clientId,
			crn: started.crn,
			status_url: started.statusUrl,
		});
	} catch (error) {
		if (error instanceof StripeApiError) {
			// Status and code only: Stripe's message can echo what the customer typed.
			log("CHECKOUT_FAILED", { status: error.status, code: error.code });
			if (error.status === 429) {
				c.header("Retry-After", "5");
				return jsonError(c, 503, "checkout_busy", "We're busy right now. Please try again in a moment.");
			}
			return jsonError(
				c,
				502,
				"stripe_unavailable",
				"The payment provider could not start checkout. Please try again.",
			);
		}
		log("CHECKOUT_FAILED", { error: errorMessage(error) });
		throw error;
	}
});
