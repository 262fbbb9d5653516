// Each launch customer's moments on one line (the client's own and the job's
// from D1), time to ready from them, and the customers in each state over
// time that the in-flight picture draws.
import type { Journey } from "./customers.ts";
import type { JobRow } from "./run.ts";

/** Each customer's moments, the jobs' own times from D1 included. */
export interface Timeline {
	arrivedAt: number;
	checkoutAt?: number;
	paidAt?: number;
	/** Stripe's first delivery attempt of any of the customer's events. */
	firstAttemptAt?: number;
	jobCreatedAt?: number;
	completedAt?: number;
}

export function timelines(journeys: Journey[], jobs: JobRow[]): Timeline[] {
	const byClient = new Map(jobs.map((j) => [j.clientId, j]));
	return journeys.map((j) => {
		const job = j.clientId ? byClient.get(j.clientId) : undefined;
		return {
			arrivedAt: j.arrivedAt,
			checkoutAt: j.checkoutAt,
			paidAt: j.paidAt,
			firstAttemptAt:
				j.deliveries.length > 0 ? Math.min(...j.deliveries.map((d) => d.attempts[0]?.at ?? Infinity)) : undefined,
			jobCreatedAt: job?.createdAt,
			completedAt: job?.completedAt ?? undefined,
		};
	});
}

/**
 * Time to ready per completed customer, from Stripe's first delivery attempt
 * (0 when the status route's own Stripe check got there first, for a late
 * webhook) and from the payment itself (what the customer waits, lateness included).
 */
export function readyTimes(line: Timeline[]): { fromWebhook: number[]; fromPayment: number[] } {
	const done = line.filter(
		(t) => t.paidAt !== undefined && t.firstAttemptAt !== undefined && t.completedAt !== undefined,
	);
	return {
		fromWebhook: done.map((t) => Math.max(0, (t.completedAt as number) - (t.firstAttemptAt as number))),
		fromPayment: done.map((t) => (t.completedAt as number) - (t.paidAt as number)),
	};
}

export interface InFlightSeries {
	/** Seconds since the launch started. */
	t: number[];
	checkingOut: number[];
	atStripe: number[];
	confirming: number[];
	provisioning: number[];
	arrived: number[];
	completed: number[];
}

/** Customers in each state, sampled every `stepMs` from the start of the run to its last completion. */
export function inFlight(line: Timeline[], startedAt: number, stepMs = 250): InFlightSeries {
	const end = Math.max(startedAt, ...line.map((t) => t.completedAt ?? t.paidAt ?? t.checkoutAt ?? t.arrivedAt)) + 2000;
	const s: InFlightSeries = {
		t: [],
		checkingOut: [],
		atStripe: [],
		confirming: [],
		provisioning: [],
		arrived: [],
		completed: [],
	};
	const within = (at: number, from?: number, to?: number) =>
		from !== undefined && from <= at && (to === undefined || at < to);
	for (let at = startedAt; at <= end; at += stepMs) {
		s.t.push((at - startedAt) / 1000);
		let c = 0,
			p = 0,
			f = 0,
			v = 0,
			a = 0,
			d = 0;
		for (const x of line) {
			if (x.arrivedAt <= at) a++;
			if (within(at, x.arrivedAt, x.checkoutAt)) c++;
			if (within(at, x.checkoutAt, x.paidAt) && x.paidAt !== undefined) p++;
			if (within(at, x.paidAt, x.jobCreatedAt)) f++;
			if (within(at, x.jobCreatedAt, x.completedAt)) v++;
			if (x.completedAt !== undefined && x.completedAt <= at) d++;
		}
		s.checkingOut.push(c);
		s.atStripe.push(p);
		s.confirming.push(f);
		s.provisioning.push(v);
		s.arrived.push(a);
		s.completed.push(d);
	}
	return s;
}
