// Development tools' reads and the dev checkout's "Pay": the session a dev
// checkout page shows, the events Stripe sends when it is paid, the recent
// plans to move money on, and the outbox. Only in local builds.
import type { Config } from "../config";
import { findClientBySessionId } from "../db/clients";
import type { Db } from "../db/database";
import { listOutbox } from "../db/outbox";
import { recentPlansWithLogin } from "../db/plan-list";
import { planView } from "../onboarding/subscriptions";
import { devSubscription, paidCheckoutSession, type StripeEvent, stripeEvent } from "../stripe/event-kit";
import { DEV_MONEY_EVENTS } from "./money-events";

export async function checkoutView(db: Db, config: Pick<Config, "plans">, sessionId: string) {
	const client = await findClientBySessionId(db, sessionId);
	if (!client) return null;
	const plan = config.plans.get(client.planCode);
	return {
		id: client.checkoutSessionId,
		email: client.email,
		plan_code: client.planCode,
		plan_name: plan?.name ?? client.planCode,
		amount_display: plan?.priceDisplay ?? "",
		paid: client.checkoutStatus === "complete",
	};
}

/**
 * What Stripe sends for a paid subscription checkout: the session, then the
 * subscription. The customer goes back to `successUrl` only if it is our own
 * onboarding page (no open redirect).
 */
export async function paidCheckoutEvents(
	db: Db,
	config: Pick<Config, "appUrl">,
	sessionId: string,
	successUrl: string,
	now: number,
): Promise<{ events: StripeEvent[]; redirect: string } | null> {
	const client = await findClientBySessionId(db, sessionId);
	if (!client?.checkoutSessionId) return null;
	const redirect = successUrl.startsWith(`${config.appUrl}/onboarding?t=`) ? successUrl : `${config.appUrl}/`;
	const session = paidCheckoutSession(
		{
			clientId: client.id,
			crn: client.crn,
			planCode: client.planCode,
			sessionId: client.checkoutSessionId,
			email: client.email,
			name: client.name,
		},
		now,
		{ success_url: redirect },
	);
	const events = [
		stripeEvent("checkout.session.completed", session, { created: now }),
		stripeEvent("customer.subscription.created", devSubscription(client.id, "active", now, session.metadata), {
			created: now,
		}),
	];
	return { events, redirect };
}

export async function devPlansView(db: Db, config: Pick<Config, "plans" | "pastDueGraceMs">, now: number) {
	const rows = await recentPlansWithLogin(db, 20);
	return {
		events: DEV_MONEY_EVENTS,
		plans: rows.map((row) => ({ ...planView(row, config, now), email: row.email, mode: row.mode })),
	};
}

export async function outboxView(db: Db) {
	const messages = await listOutbox(db, 50);
	return {
		messages: messages.map((m) => ({
			id: m.id,
			to: m.toAddress,
			subject: m.subject,
			text: m.textBody,
			links: m.textBody.match(/https?:\/\/\S+/g) ?? [],
			created_at: new Date(m.createdAt).toISOString(),
		})),
	};
}
