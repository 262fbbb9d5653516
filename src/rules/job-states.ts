// Provisioning job states, declared once, and what each one shows the customer.
// The schema, the payment batch, the consumer, the reconciler, the ops filter
// and the status read model all import them from here.

export const JOB = {
	/** Payment confirmed, job created and enqueued; no consumer has claimed it yet. */
	confirmed: "PAYMENT_CONFIRMED",
	/** A consumer claimed it: user, link and welcome email are on their way. */
	started: "PROVISIONING_STARTED",
	/** Done: the welcome email went out. Final. */
	completed: "WELCOME_EMAIL_SENT",
	/** Retries ran out (or cannot help); final until an operator retries it. */
	failed: "FAILED",
} as const;

export type JobState = (typeof JOB)[keyof typeof JOB];

export const JOB_STATES = [JOB.confirmed, JOB.started, JOB.completed, JOB.failed] as const;

/** States a consumer may claim, and so the ones the reconciler watches for stuck jobs. */
export const CLAIMABLE_JOB_STATES = [JOB.confirmed, JOB.started] as const;

export type ProvisioningState = "not_started" | "queued" | "running" | "completed" | "failed";

/** The one map from a job's state to what the status page and the ops routes call it. */
export const PROVISIONING_STATE: Readonly<Record<JobState, ProvisioningState>> = {
	[JOB.confirmed]: "queued",
	[JOB.started]: "running",
	[JOB.completed]: "completed",
	[JOB.failed]: "failed",
};

export function provisioningState(jobState: JobState | null): ProvisioningState {
	return jobState === null ? "not_started" : PROVISIONING_STATE[jobState];
}

/** The job state an ops filter means (`failed` or `FAILED`); undefined for none. */
export function jobStateFor(name: string): JobState | undefined {
	return JOB_STATES.find((state) => state === name || PROVISIONING_STATE[state] === name);
}

/** A waiting job untouched this long lost its message or its consumer. */
export const STUCK_AFTER_MS = 2 * 60_000;
/**
 * A job whose last attempt failed is being retried by the queue (backoff up to
 * 405 s, then the dead-letter queue): only past the whole retry window is it lost.
 */
export const RETRYING_STUCK_AFTER_MS = 15 * 60_000;
/**
 * Give up on a job (FAILED, for an operator) only when its run is this old,
 * counted from creation or the last operator retry, however often it was
 * re-enqueued: a queue outage of minutes must not fail paying customers.
 */
export const GIVE_UP_AFTER_MS = 2 * 3_600_000;
