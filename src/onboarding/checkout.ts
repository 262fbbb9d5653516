// Starts a checkout: the client row with its CRN and onboarding token (only the
// hash stored), then a Stripe Checkout Session that carries the client id in
// every place Stripe echoes back to us.

import type Stripe from "stripe";
import type { Config, Plan } from "../config";
import { newCrn, randomToken, sha256Hex } from "../crypto";
import { findStripeCustomerOfLogin } from "../db/accounts";
import { insertClient, setCheckoutSession } from "../db/clients";
import type { Db } from "../db/database";
import { DEPLOYMENT_TAG } from "../rules/stripe-endpoint";
import type { StripeApi } from "../stripe/api";

export interface CheckoutInput {
	email: string;
	name: string;
	plan: Plan;
}

export interface CheckoutStarted {
	clientId: string;
	crn: string;
	checkoutSessionId: string;
	checkoutUrl: string;
	statusUrl: string;
	onboardingUrl: string;
}

export interface CheckoutDeps {
	db: Db;
	config: Pick<Config, "appUrl" | "devTools">;
	/** null: the development checkout stand-in takes Stripe's place. */
	stripe: StripeApi | null;
	now: number;
}

export async function startCheckout(deps: CheckoutDeps, input: CheckoutInput): Promise<CheckoutStarted> {
	const { db, config, now } = deps;
	const clientId = crypto.randomUUID();
	const crn = newCrn();
	const onboardingToken = randomToken();
	await insertClient(db, {
		id: clientId,
		crn,
		email: input.email,
		name: input.name,
		planCode: input.plan.code,
		mode: input.plan.mode,
		onboardingTokenHash: await sha256Hex(onboardingToken),
		createdAt: now,
		updatedAt: now,
	});
	const onboardingUrl = `${config.appUrl}/onboarding?t=${onboardingToken}`;
	const statusUrl = `${config.appUrl}/api/portal/setup-status?t=${onboardingToken}`;
	const metadata = {
		client_id: clientId,
		plan_code: input.plan.code,
		customer_reference: crn,
		[DEPLOYMENT_TAG]: config.appUrl,
	};

	let sessionId: string;
	let checkoutUrl: string;
	if (deps.stripe) {
		const session = await deps.stripe.createCheckoutSession(
			checkoutParams(input, {
				clientId,
				metadata,
				onboardingUrl,
				cancelUrl: `${config.appUrl}/?canceled=1&plan=${encodeURIComponent(input.plan.code)}`,
				customer: await findStripeCustomerOfLogin(db, input.email),
			}),
			// The same key on every retry: a 429 or a timeout never makes a second session.
			`checkout-${clientId}`,
		);
		if (!session.url) throw new Error("Stripe returned a Checkout Session without a URL");
		sessionId = session.id;
		checkoutUrl = session.url;
	} else {
		sessionId = `cs_dev_${randomToken().replace(/[-_]/g, "").slice(0, 24)}`;
		// Stripe keeps the success URL server-side; the stand-in carries it in its own URL.
		checkoutUrl = `${config.appUrl}/dev/checkout?session=${sessionId}&success=${encodeURIComponent(onboardingUrl)}`;
	}
	await setCheckoutSession(db, clientId, sessionId, now);
	return { clientId, crn, checkoutSessionId: sessionId, checkoutUrl, statusUrl, onboardingUrl };
}

/**
 * The Checkout Session for a plan: subscription mode (with a trial when the
 * plan has one) or payment mode for a one-time purchase. A returning
 * customer's login already has a Stripe customer: passing it (never
 * customer_email too, which Stripe refuses) keeps one customer per person, so
 * the Billing Portal shows every plan.
 */
export function checkoutParams(
	input: CheckoutInput,
	at: {
		clientId: string;
		metadata: Record<string, string>;
		onboardingUrl: string;
		cancelUrl: string;
		customer?: string;
	},
): Stripe.Checkout.SessionCreateParams {
	const { plan } = input;
	const common = {
		line_items: [{ price: plan.priceId, quantity: 1 }],
		...(at.customer ? { customer: at.customer } : { customer_email: input.email }),
		client_reference_id: at.clientId,
		metadata: at.metadata,
		success_url: at.onboardingUrl,
		// Back to sign-up, which says nothing was charged.
		cancel_url: at.cancelUrl,
	};
	if (plan.mode === "payment") {
		return {
			...common,
			mode: "payment",
			// Payment mode makes no customer unless asked: the login keeps this one for later purchases.
			...(at.customer ? {} : { customer_creation: "always" as const }),
			payment_intent_data: { metadata: at.metadata },
		};
	}
	return {
		...common,
		mode: "subscription",
		subscription_data: {
			metadata: at.metadata,
			...(plan.trialDays ? { trial_period_days: plan.trialDays } : {}),
		},
	};
}
