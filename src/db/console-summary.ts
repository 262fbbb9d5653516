// The console's last day of onboarding in one round trip: checkouts, payments,
// provisioned and failed, an hourly chart by state, and payment-to-ready
// percentiles. Read-only.
import { and, eq, gte, isNotNull, sql } from "drizzle-orm";
import { JOB, JOB_STATES, type JobState, PROVISIONING_STATE, type ProvisioningState } from "../rules/job-states";
import type { Db } from "./database";
import { clients, jobs } from "./schema";

export const HOUR_MS = 3_600_000;
export const SUMMARY_HOURS = 24;

/** The four provisioning states the chart stacks, in the order the rules declare them. */
export const CHART_STATES: readonly ProvisioningState[] = JOB_STATES.map((state) => PROVISIONING_STATE[state]);

export type HourBucket = { from: number } & Record<ProvisioningState, number>;

export interface OnboardingSummary {
	from: number;
	to: number;
	checkoutsStarted: number;
	paid: number;
	provisioned: number;
	failed: number;
	/** Jobs created in each hour of the window, by the state they are in now; oldest hour first. */
	hourly: HourBucket[];
	/** From the client's paid_at to the job's completed_at, for jobs completed in the window. */
	paymentToCompleted: { count: number; p50: number | null; p95: number | null };
}

const count = sql<number>`count(*)`;

// Nearest-rank percentile: the value at rank ceil(p/100 · n), 1-based, which is
// (n·p+99)/100 in integer arithmetic. D1 is SQLite: window functions, no percentile_cont.
const PERCENTILES = [50, 95] as const;

/** Every figure of the summary in one D1 batch (one round trip), as of `now`. */
export async function onboardingSummary(db: Db, now: number): Promise<OnboardingSummary> {
	const from = now - SUMMARY_HOURS * HOUR_MS;
	const bucket = sql<number>`cast((${jobs.createdAt} - ${from}) / ${HOUR_MS} as integer)`;
	const duration = sql<number>`${jobs.completedAt} - ${clients.paidAt}`;
	const ranked = db
		.select({
			duration: duration.as("duration"),
			rank: sql<number>`row_number() over (order by ${duration})`.as("rank"),
			total: sql<number>`count(*) over ()`.as("total"),
		})
		.from(jobs)
		.innerJoin(clients, eq(clients.id, jobs.clientId))
		.where(and(gte(jobs.completedAt, from), isNotNull(clients.paidAt)))
		.as("ranked");
	const ranksWanted = sql.join(
		// D1 binds every JS number as a REAL, which would make this division exact: cast it back.
		PERCENTILES.map((p) => sql`(${ranked.total} * cast(${p} as integer) + 99) / 100`),
		sql`, `,
	);
	const [started, paid, provisioned, failed, hourly, percentileRows] = await db.batch([
		db.select({ n: count }).from(clients).where(gte(clients.createdAt, from)),
		db.select({ n: count }).from(clients).where(gte(clients.paidAt, from)),
		db.select({ n: count }).from(jobs).where(gte(jobs.completedAt, from)),
		// Failed in the window and still failed (an operator retry takes it out).
		db
			.select({ n: count })
			.from(jobs)
			.where(and(eq(jobs.state, JOB.failed), gte(jobs.updatedAt, from))),
		db
			.select({ bucket, state: jobs.state, n: count })
			.from(jobs)
			.where(gte(jobs.createdAt, from))
			.groupBy(bucket, jobs.state),
		db
			.select({ duration: ranked.duration, rank: ranked.rank, total: ranked.total })
			.from(ranked)
			.where(sql`${ranked.rank} in (${ranksWanted})`),
	]);
	return {
		from,
		to: now,
		checkoutsStarted: started[0]?.n ?? 0,
		paid: paid[0]?.n ?? 0,
		provisioned: provisioned[0]?.n ?? 0,
		failed: failed[0]?.n ?? 0,
		hourly: hourBuckets(hourly, from),
		paymentToCompleted: percentilesOf(percentileRows),
	};
}

/** Pure: grouped (bucket, state, n) rows → one entry per hour of the window, zeros included. */
export function hourBuckets(rows: readonly { bucket: number; state: JobState; n: number }[], from: number) {
	const buckets: HourBucket[] = Array.from({ length: SUMMARY_HOURS }, (_, i) => {
		const entry = { from: from + i * HOUR_MS } as HourBucket;
		for (const state of CHART_STATES) entry[state] = 0;
		return entry;
	});
	for (const row of rows) {
		// A job stamped at `now` itself lands one past the end: it belongs to the last hour.
		const entry = buckets[Math.min(SUMMARY_HOURS - 1, Math.max(0, row.bucket))];
		if (entry) entry[PROVISIONING_STATE[row.state]] += row.n;
	}
	return buckets;
}

/**
 * Pure: the percentile query's rows → p50 and p95. The query returns only the
 * rows at the wanted ranks (one row when both ranks coincide), so the lowest
 * rank is p50 and the highest p95.
 */
export function percentilesOf(rows: readonly { duration: number; rank: number; total: number }[]) {
	const sorted = [...rows].sort((a, b) => a.rank - b.rank);
	return {
		count: sorted[0]?.total ?? 0,
		p50: sorted[0]?.duration ?? null,
		p95: sorted[sorted.length - 1]?.duration ?? null,
	};
}
