// The operator console's reads (/admin): the last day at a glance, jobs that
// need a person, jobs by state, and the webhook ledger. Each answer is a
// declared snake_case wire type; every action is an operation of its own
// (requeue.ts, support-link.ts, replay.ts).
import { CHART_STATES, type HourBucket, onboardingSummary } from "../db/console-summary";
import type { Db } from "../db/database";
import { jobsNeedingAttention, listJobs, recentLedger } from "../db/support";
import {
	type JobState,
	jobStateFor,
	type ProvisioningState,
	provisioningState,
	STUCK_AFTER_MS,
} from "../rules/job-states";
import { type JobView, jobView } from "./customers";

export interface SummaryView {
	from: number;
	to: number;
	checkouts_started: number;
	paid: number;
	provisioned: number;
	failed: number;
	/** The page stacks the bars in this order and needs no list of its own. */
	states: readonly ProvisioningState[];
	hourly: HourBucket[];
	payment_to_completed_ms: { count: number; p50: number | null; p95: number | null };
}

export interface AttentionView {
	stuck_after_ms: number;
	jobs: {
		reason: "failed" | "stuck";
		job_id: string;
		crn: string;
		email_domain: string;
		state: JobState;
		provisioning_state: ProvisioningState;
		last_error: string | null;
		age_ms: number;
		idle_ms: number;
	}[];
}

export interface LedgerEventView {
	id: string;
	type: string;
	received_at: number;
	crn: string | null;
	/** applied: the event names a client we have; ignored: a type we do not act on, or an unknown client. */
	outcome: "applied" | "ignored";
	deliveries: number;
	/** Every delivery after the first changed nothing (the ledger insert lost). */
	duplicate: boolean;
	/** Only Stripe's own event ids can be fetched again; sync_ and replay_ rows are ours. */
	replayable: boolean;
}

export type JobListView = { jobs: (JobView & { crn: string })[] };

const ATTENTION_LIMIT = 100;

export async function summaryView(db: Db, now: number): Promise<SummaryView> {
	const s = await onboardingSummary(db, now);
	return {
		from: s.from,
		to: s.to,
		checkouts_started: s.checkoutsStarted,
		paid: s.paid,
		provisioned: s.provisioned,
		failed: s.failed,
		states: CHART_STATES,
		hourly: s.hourly,
		payment_to_completed_ms: s.paymentToCompleted,
	};
}

export async function attentionView(db: Db, now: number): Promise<AttentionView> {
	const found = await jobsNeedingAttention(db, now, now - STUCK_AFTER_MS, ATTENTION_LIMIT);
	return {
		stuck_after_ms: STUCK_AFTER_MS,
		jobs: found.map((job) => ({
			reason: job.reason,
			job_id: job.jobId,
			crn: job.crn,
			email_domain: job.emailDomain,
			state: job.state,
			provisioning_state: provisioningState(job.state),
			last_error: job.lastError,
			// Ages by the server's clock, so a browser with a wrong clock still reads them right.
			age_ms: now - job.queuedAt,
			idle_ms: now - job.updatedAt,
		})),
	};
}

/** Jobs by state (`failed` or `FAILED`; none for all), newest first; null for an unknown state. */
export async function jobListView(db: Db, status: string | undefined, limit: number): Promise<JobListView | null> {
	const state = status ? jobStateFor(status) : undefined;
	if (status && !state) return null;
	const rows = await listJobs(db, state, limit);
	return { jobs: rows.map((row) => ({ ...jobView(row), crn: row.crn })) };
}

export async function ledgerView(db: Db, limit: number): Promise<{ events: LedgerEventView[] }> {
	const rows = await recentLedger(db, limit);
	return {
		events: rows.map((row) => ({
			id: row.id,
			type: row.type,
			received_at: row.receivedAt,
			crn: row.crn,
			outcome: row.crn === null ? "ignored" : "applied",
			deliveries: row.deliveries,
			duplicate: row.deliveries > 1,
			replayable: row.id.startsWith("evt_"),
		})),
	};
}
