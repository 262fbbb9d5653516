// The consumer's half of a subscription made outside Checkout (the Stripe
// Dashboard, a sales-led invoice, the API) for a price in PLANS: ask Stripe
// who the customer is and where the subscription stands now, make the plan a
// client of its own with a CRN, and provision it exactly as a checkout is.
// Asked here, not in the webhook: Stripe's answers never hold up the webhook.
import type { Config } from "../config";
import { newCrn, randomToken, sha256Hex } from "../crypto";
import { adoptClient } from "../db/clients";
import type { Db } from "../db/database";
import { log } from "../log";
import { parseEmail } from "../rules/email-address";
import { plainName } from "../rules/names";
import { isPayingSubscription } from "../rules/subscription-status";
import type { StripeApi } from "../stripe/api";
import { provisionMessage, type WorkOf, type WorkQueue } from "../work/messages";
import { PermanentProvisioningError } from "./provisioning";

export interface AdoptDeps {
	db: Db;
	queue: WorkQueue;
	stripe: StripeApi | null;
	config: Pick<Config, "planByPrice" | "plans">;
	clock: () => number;
}

export async function adoptSubscription(deps: AdoptDeps, message: WorkOf<"adopt">): Promise<void> {
	if (!deps.stripe) throw new PermanentProvisioningError("adopting a subscription needs STRIPE_SECRET_KEY");
	const [customer, subscription] = await Promise.all([
		deps.stripe.retrieveCustomer(message.customerId),
		deps.stripe.retrieveSubscription(message.subscriptionId),
	]);
	const email = "deleted" in customer && customer.deleted ? null : parseEmail(customer.email);
	const fields = { subscription_id: message.subscriptionId };
	if (!email || "deleted" in customer) {
		log("SUBSCRIPTION_NOT_ADOPTED", { ...fields, reason: "customer has no email" });
		return;
	}
	if (!isPayingSubscription(subscription.status)) {
		// It changed since the event; a later paying event adopts it then.
		log("SUBSCRIPTION_NOT_ADOPTED", { ...fields, reason: `status ${subscription.status}` });
		return;
	}
	const item = subscription.items?.data?.[0];
	const plan = deps.config.planByPrice.get(item?.price?.id ?? "") ?? deps.config.plans.get(message.planCode);
	if (!plan) {
		log("SUBSCRIPTION_NOT_ADOPTED", { ...fields, reason: "price not in PLANS" });
		return;
	}
	const now = deps.clock();
	const adopted = await adoptClient(
		deps.db,
		{
			id: crypto.randomUUID(),
			crn: newCrn(),
			email,
			name: plainName(customer.name ?? ""),
			planCode: plan.code,
			mode: "subscription",
			// Nobody polls an onboarding page for this plan; the token only fills the column.
			onboardingTokenHash: await sha256Hex(randomToken()),
			checkoutStatus: "complete",
			paymentStatus: "paid",
			paidAt: now,
			stripeCustomerId: message.customerId,
			subscriptionId: message.subscriptionId,
			subscriptionStatus: subscription.status,
			// As of now: an event older than what Stripe just said changes nothing.
			subscriptionEventAt: Math.floor(now / 1000),
			currentPeriodEnd: item?.current_period_end ? item.current_period_end * 1000 : null,
			createdAt: now,
			updatedAt: now,
		},
		crypto.randomUUID(),
	);
	if (!adopted.job) throw new Error("adopted client has no job");
	if (adopted.job.state === "PAYMENT_CONFIRMED") {
		await deps.queue.send(provisionMessage(adopted.job.id, adopted.clientId), { contentType: "json" });
	}
	log("SUBSCRIPTION_ADOPTED", {
		...fields,
		client_id: adopted.clientId,
		job_id: adopted.job.id,
		plan_code: plan.code,
		again: !adopted.created,
	});
}
