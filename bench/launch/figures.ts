// What one launch run measured: outcomes, the worker's 5xx, provider calls per
// customer, time to ready, the throttled drain, CPU per customer, and the pass
// checks.

import type { Exchange } from "../common/stand-ins.ts";
import { percentile } from "../common/stats.ts";
import type { Journey } from "./customers.ts";
import type { LaunchRun } from "./run.ts";
import { readyTimes, timelines } from "./timelines.ts";

export interface RunSettings {
	name: string;
	/** What the mail provider accepts per second, and what the product is told (MAIL_RATE_PER_SECOND). */
	mailRate: number;
	productMailRate: number;
	stripeRate: number;
	/** Unthrottled runs hold time to ready to p95 ≤ 2 s; throttled ones to the mail rate. */
	kind: "unthrottled" | "throttled";
}

export interface Check {
	name: string;
	measured: string;
	limit: string;
	pass: boolean;
}

interface Spread {
	n: number;
	p50: number;
	p95: number;
	p99: number;
	max: number;
}

function spread(values: number[]): Spread {
	const s = [...values].sort((a, b) => a - b);
	return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s.at(-1) ?? NaN };
}

/** The most requests in any one-second window. */
function peakPerSecond(times: number[]): number {
	const s = [...times].sort((a, b) => a - b);
	let peak = 0;
	for (let i = 0, j = 0; i < s.length; i++) {
		while ((s[i] as number) - (s[j] as number) >= 1000) j++;
		peak = Math.max(peak, i - j + 1);
	}
	return peak;
}

function tally(exchanges: Exchange[], label: (e: Exchange) => string): Record<string, number> {
	const out: Record<string, number> = {};
	for (const e of exchanges) out[label(e)] = (out[label(e)] ?? 0) + 1;
	return out;
}

/**
 * Status-route reads of a Checkout Session (GET /v1/checkout/sessions/:id) made
 * after that customer's webhook was already accepted: the route should ask
 * Stripe only while the payment is unconfirmed.
 */
function sessionReadsAfterWebhook(journeys: Journey[], stripe: Exchange[]): number {
	const accepted = new Map<string, number>();
	for (const j of journeys) {
		const at = Math.min(...j.deliveries.map((d) => d.acceptedAt ?? Infinity));
		if (j.sessionId && Number.isFinite(at)) accepted.set(j.sessionId, at);
	}
	return stripe.filter((e) => {
		const id = e.method === "GET" ? /\/v1\/checkout\/sessions\/([^/]+)$/.exec(e.path)?.[1] : undefined;
		const at = id ? accepted.get(id) : undefined;
		return at !== undefined && e.at > at;
	}).length;
}

function coreFigures(settings: RunSettings, run: LaunchRun) {
	const { journeys, answers, exchanges } = run;
	const customers = journeys.length;
	const outcome = (o: string) => journeys.filter((j) => j.outcome === o).length;
	const answersByRoute: Record<string, Record<string, number>> = {};
	let fiveXx = 0;
	for (const [route, byStatus] of answers) {
		answersByRoute[route] = Object.fromEntries([...byStatus].sort(([a], [b]) => a - b));
		for (const [status, n] of byStatus) if (status >= 500) fiveXx += n;
	}
	const stripe = exchanges.filter((e) => e.service === "stripe");
	const mail = exchanges.filter((e) => e.service === "mail");
	const mailAccepted = mail.filter((e) => e.status === 200);

	const line = timelines(journeys, run.jobs);
	const ready = line.filter((t) => t.paidAt !== undefined && t.completedAt !== undefined);
	const { fromWebhook, fromPayment } = readyTimes(line);
	const seenMs = journeys
		.filter((j) => j.completedSeenAt !== undefined && j.paidAt !== undefined)
		.map((j) => (j.completedSeenAt as number) - (j.paidAt as number));
	const completions = ready.map((t) => t.completedAt as number).sort((a, b) => a - b);
	// The drain's pace: completions between the 10th and the 90th percentile, per second.
	const c10 = completions[Math.floor(completions.length * 0.1)] ?? 0;
	const c90 = completions[Math.floor(completions.length * 0.9)] ?? 0;
	const drainRate =
		c90 > c10
			? (Math.floor(completions.length * 0.9) - Math.floor(completions.length * 0.1)) / ((c90 - c10) / 1000)
			: NaN;
	const firstToLastS =
		completions.length > 1 ? ((completions.at(-1) as number) - (completions[0] as number)) / 1000 : 0;

	const workerdMs = run.cpu.after.workerdMs - run.cpu.before.workerdMs;
	const seconds = (run.endedAt - run.startedAt) / 1000;
	const deliveries = journeys.flatMap((j) => j.deliveries);
	const figures = {
		run: settings.name,
		settings,
		customers,
		completed: outcome("completed"),
		failed: outcome("failed"),
		lost: outcome("lost"),
		failures: journeys
			.filter((j) => j.failure)
			.slice(0, 5)
			.map((j) => `#${j.index}: ${j.failure}`),
		fiveXx,
		answers: answersByRoute,
		stripe: {
			calls: stripe.length,
			perCustomer: stripe.length / customers,
			rateLimited: stripe.filter((e) => e.status === 429).length,
			byRequest: tally(stripe, (e) => `${e.method} ${e.path.replace(/\/cs_[A-Za-z0-9_]+$/, "/:id")} → ${e.status}`),
			peakPerSecond: peakPerSecond(stripe.map((e) => e.at)),
			afterWebhook: sessionReadsAfterWebhook(journeys, stripe),
		},
		mail: {
			calls: mail.length,
			perCustomer: mail.length / customers,
			accepted: mailAccepted.length,
			rateLimited: mail.filter((e) => e.status === 429).length,
			byAnswer: tally(mail, (e) => `${e.status}${e.error ? ` ${e.error}` : ""}`),
			peakCallsPerSecond: peakPerSecond(mail.map((e) => e.at)),
			peakAcceptedPerSecond: peakPerSecond(mailAccepted.map((e) => e.at)),
		},
		webhooks: {
			attempts: deliveries.reduce((n, d) => n + d.attempts.length, 0),
			notAccepted: deliveries.filter((d) => d.acceptedAt === undefined).length,
			duplicated: journeys.filter((j) => j.plan.duplicate).length,
			late: journeys.filter((j) => j.plan.lateMs > 0).length,
			subscriptionFirst: journeys.filter((j) => j.plan.subscriptionFirst).length,
		},
		timeToReadyMs: spread(fromWebhook),
		paidToReadyMs: spread(fromPayment),
		seenByPageMs: spread(seenMs),
		checkoutMs: spread(journeys.filter((j) => j.checkoutAt).map((j) => (j.checkoutAt as number) - j.arrivedAt)),
		drain: { firstToLastCompletedS: firstToLastS, completionsPerSecond: drainRate },
		polls: {
			total: journeys.reduce((n, j) => n + j.polls, 0),
			perCustomer: journeys.reduce((n, j) => n + j.polls, 0) / customers,
		},
		cpu: {
			workerdMs,
			perCustomerMs: workerdMs / customers,
			seconds,
			idleMsPerSecond: run.cpu.idleMsPerSecond,
			idleMsPerCustomer: (run.cpu.idleMsPerSecond * seconds) / customers,
		},
	};
	return figures;
}

export type LaunchFigures = ReturnType<typeof coreFigures> & { checks: Check[] };

export function launchFigures(settings: RunSettings, run: LaunchRun): LaunchFigures {
	const figures = coreFigures(settings, run);
	return { ...figures, checks: checks(settings, figures) };
}

function checks(settings: RunSettings, f: ReturnType<typeof coreFigures>): Check[] {
	const check = (name: string, measured: string, limit: string, pass: boolean) => ({ name, measured, limit, pass });
	const ms = (n: number) => `${Math.round(n)} ms`;
	const list = [
		check(
			"customers completed / failed / lost",
			`${f.completed} / ${f.failed} / ${f.lost}`,
			`${f.customers} / 0 / 0`,
			f.completed === f.customers && f.failed === 0 && f.lost === 0,
		),
		check("5xx answered by the worker", String(f.fiveXx), "0", f.fiveXx === 0),
		check(
			"status-route Stripe reads after the customer's webhook was accepted",
			String(f.stripe.afterWebhook),
			"0",
			f.stripe.afterWebhook === 0,
		),
		check(
			"Stripe API calls per customer (429s included)",
			f.stripe.perCustomer.toFixed(3),
			"≤ 1.1",
			f.stripe.perCustomer <= 1.1,
		),
		check(
			"mail API calls per customer (429s included)",
			f.mail.perCustomer.toFixed(3),
			"≤ 1.2",
			f.mail.perCustomer <= 1.2,
		),
	];
	if (settings.kind === "unthrottled") {
		const t = f.timeToReadyMs;
		list.push(check("first webhook attempt → completed, p95", ms(t.p95), "≤ 2000 ms", t.p95 <= 2000));
	} else {
		// Drained by the mail rate: the backlog goes out near the provider's pace (under
		// wrangler dev one batch of 10 runs at a time, which idles a little between
		// batches), and 429s never snowball into a burst of calls.
		const rate = settings.mailRate;
		list.push(
			check(
				"drain pace, completions/s (10th–90th percentile)",
				f.drain.completionsPerSecond.toFixed(1),
				`≥ ${(0.75 * rate).toFixed(1)} (3/4 of the mail rate ${rate}/s)`,
				f.drain.completionsPerSecond >= 0.75 * rate,
			),
			check(
				"mail calls in any one second, 429s included (no retry storm)",
				String(f.mail.peakCallsPerSecond),
				`≤ ${2 * rate} (twice the mail rate)`,
				f.mail.peakCallsPerSecond <= 2 * rate,
			),
		);
	}
	return list;
}
