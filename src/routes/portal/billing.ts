// POST /api/portal/billing: a logged-in customer's Stripe Billing Portal link.
import { Hono } from "hono/tiny";
import { deps } from "../../deps";
import { type AppEnv, jsonError, readJsonObject } from "../../http";
import { billingCustomerOf } from "../../onboarding/subscriptions";
import { overLoginLimit, tooManyRequests } from "../../rate-limit";
import { StripeApiError } from "../../stripe/api";
import { currentUser } from "./accounts";

export const billingRoutes = new Hono<AppEnv>();

/** Body `{crn?}`: the Billing Portal for that plan's Stripe customer (default: the first plan). */
billingRoutes.post("/billing", async (c) => {
	const user = await currentUser(c);
	if (!user) return jsonError(c, 401, "unauthenticated", "Please log in.");
	// Each open creates a Stripe session: a script holding one cookie must not spend the Stripe rate limit.
	if (await overLoginLimit(c, "BILLING_LIMITER", user.userId)) return tooManyRequests(c);
	const d = deps(c.env);
	const body = await readJsonObject(c);
	const customer = await billingCustomerOf(d.db, user, typeof body?.crn === "string" ? body.crn : undefined);
	if (!d.stripe || !customer) {
		return jsonError(c, 503, "billing_unavailable", "Billing management is not available for this account yet.");
	}
	try {
		const session = await d.stripe.createBillingPortalSession({ customer, return_url: `${d.config.appUrl}/dashboard` });
		return c.json({ url: session.url });
	} catch (error) {
		if (error instanceof StripeApiError) {
			return jsonError(c, 502, "stripe_unavailable", "The billing portal could not be opened. Please try again.");
		}
		throw error;
	}
});
