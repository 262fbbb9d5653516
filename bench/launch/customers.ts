// One launch-day customer, end to end: the sign-up form's POST /api/checkout,
// a moment on Stripe's page, the payment (Stripe's webhooks, delivered its
// way), and the onboarding page polling on public/js/onboarding.js's schedule.
import type http from "node:http";
import { devIds, type StripeEvent } from "../../src/stripe/event-kit.ts";
import { clientIp } from "../common/addresses.ts";
import { httpRequest, type LoadRequest } from "../common/http.ts";
import { sleep } from "../common/procs.ts";
import type { StandIns } from "../common/stand-ins.ts";
import {
	checkoutCompleted,
	type Delivery,
	type DeliveryPlan,
	deliver,
	type Session,
	subscriptionCreated,
} from "./webhooks.ts";

/** The onboarding page gives up (and shows the support banner) after 180 s. */
export const POLL_LIMIT_MS = 180_000;

/** public/js/onboarding.js: every 1 s until 10 s, every 2 s until 30 s, every 5 s after. */
export function pollIntervalMs(sinceFirstPollMs: number): number {
	if (sinceFirstPollMs < 10_000) return 1000;
	if (sinceFirstPollMs < 30_000) return 2000;
	return 5000;
}

export type Outcome = "completed" | "failed" | "lost";

export interface Journey {
	index: number;
	email: string;
	plan: DeliveryPlan;
	/** Epoch ms: arrived on the sign-up page and submitted it. */
	arrivedAt: number;
	checkoutAt?: number;
	checkoutStatus?: number;
	clientId?: string;
	sessionId?: string;
	/** Paid on Stripe's page: the events exist and their first delivery is due. */
	paidAt?: number;
	/** First poll: back on the onboarding page. */
	returnedAt?: number;
	paidSeenAt?: number;
	completedSeenAt?: number;
	polls: number;
	deliveries: Delivery[];
	outcome: Outcome;
	failure?: string;
}

/** Every HTTP answer the worker gave, by route; status 0 is a network error. */
export type Answers = Map<string, Map<number, number>>;

export interface CustomerContext {
	origin: string;
	agent: http.Agent;
	standIns: StandIns;
	stripeKey: string;
	answers: Answers;
	/** How long a customer spends on Stripe's page, and before its browser is back (ms). */
	payMs: () => number;
	redirectMs: () => number;
	/** Offset (ms) of a duplicate delivery, or of the checkout event after the subscription event. */
	jitterMs: () => number;
	deadline: number;
}

function count(answers: Answers, route: string, status: number) {
	const byStatus = answers.get(route) ?? new Map<number, number>();
	byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
	answers.set(route, byStatus);
}

async function call(ctx: CustomerContext, route: string, req: LoadRequest) {
	try {
		const res = await httpRequest(ctx.origin, req, ctx.agent, 15_000);
		count(ctx.answers, route, res.status);
		return res;
	} catch (error) {
		count(ctx.answers, route, 0);
		return { status: 0, body: (error as Error).message, ms: 0 };
	}
}

export async function runCustomer(
	ctx: CustomerContext,
	index: number,
	startAt: number,
	plan: DeliveryPlan,
	email: string,
): Promise<Journey> {
	await sleep(Math.max(0, startAt - Date.now()));
	const ip = clientIp(index);
	const j: Journey = { index, email, plan, arrivedAt: Date.now(), polls: 0, deliveries: [], outcome: "failed" };
	const checkout = await call(ctx, "POST /api/checkout", {
		method: "POST",
		path: "/api/checkout",
		headers: { "content-type": "application/json", "cf-connecting-ip": ip },
		body: JSON.stringify({ email, name: `Launch ${index}`, plan_code: index % 3 === 0 ? "pro" : "starter" }),
	});
	j.checkoutAt = Date.now();
	j.checkoutStatus = checkout.status;
	if (checkout.status !== 200) {
		j.failure = `checkout HTTP ${checkout.status} ${checkout.body.slice(0, 200)}`;
		return j;
	}
	const started = JSON.parse(checkout.body) as { client_id: string; status_url: string; checkout_url: string };
	j.clientId = started.client_id;
	const status = new URL(started.status_url);
	const sessionId = new URL(started.checkout_url).pathname.split("/").pop() as string;
	j.sessionId = sessionId;

	await sleep(ctx.payMs());
	const session = (await ctx.standIns.completeSession(ctx.stripeKey, sessionId, {
		status: "complete",
		payment_status: "paid",
		...devIds(started.client_id),
	})) as Session;
	const paidAt = Date.now();
	j.paidAt = paidAt;
	const created = Math.floor(paidAt / 1000);
	const onAnswer = (s: number) => count(ctx.answers, "POST /api/webhook/stripe", s);
	const send = (event: StripeEvent, dueAt: number) =>
		deliver(ctx.origin, ctx.agent, event, dueAt, ctx.deadline, onAnswer);
	const completed = checkoutCompleted(session, created);
	const checkoutDue = paidAt + plan.lateMs + (plan.subscriptionFirst ? ctx.jitterMs() : 0);
	const deliveries = [send(completed, checkoutDue)];
	if (plan.subscriptionFirst) deliveries.push(send(subscriptionCreated(session, created), paidAt));
	if (plan.duplicate) deliveries.push(send(completed, checkoutDue + ctx.jitterMs()));

	const polling = poll(ctx, j, `${status.pathname}${status.search}`, ip, paidAt + ctx.redirectMs());
	j.deliveries = await Promise.all(deliveries);
	await polling;
	return j;
}

/** Polls like the onboarding page until `completed`, `failed`, or its 180 s limit. */
async function poll(ctx: CustomerContext, j: Journey, path: string, ip: string, firstAt: number): Promise<void> {
	await sleep(Math.max(0, firstAt - Date.now()));
	const first = Date.now();
	j.returnedAt = first;
	let last = first;
	for (;;) {
		last = Date.now();
		j.polls++;
		const res = await call(ctx, "GET /api/portal/setup-status", {
			method: "GET",
			path,
			headers: { "cf-connecting-ip": ip },
		});
		if (res.status === 200) {
			const s = JSON.parse(res.body) as { payment_state: string; provisioning_state: string };
			if (s.payment_state === "paid" && j.paidSeenAt === undefined) j.paidSeenAt = Date.now();
			if (s.provisioning_state === "completed") {
				j.completedSeenAt = Date.now();
				j.outcome = "completed";
				return;
			}
			if (s.provisioning_state === "failed") {
				j.outcome = "failed";
				j.failure = "provisioning_state failed";
				return;
			}
		}
		const elapsed = Date.now() - first;
		if (elapsed >= POLL_LIMIT_MS || Date.now() >= ctx.deadline) {
			j.outcome = "lost";
			j.failure = `not completed ${Math.round(elapsed / 1000)} s after the first poll`;
			return;
		}
		// From the start of the previous poll, as the page schedules; the last poll lands on the limit.
		const next = Math.min(last + pollIntervalMs(last - first), first + POLL_LIMIT_MS);
		await sleep(Math.max(0, next - Date.now()));
	}
}
