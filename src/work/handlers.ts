// The work queue's dispatch table: for each message type, the work itself, the
// log names it speaks under, and what deferring, retrying and failing mean for
// its stored state. The consumer (src/work/consumer.ts) applies one policy to all.

import { deliverToApp, syncAccess } from "../app-webhooks/announce";
import { deferJob, failJob, releaseJob } from "../db/jobs";
import type { Deps } from "../deps";
import { type LogEvent, type LogFields, log } from "../log";
import { adoptSubscription } from "../onboarding/adopt";
import { sendRequestedLink } from "../onboarding/links";
import { sendNotice } from "../onboarding/notices";
import { provisionJob } from "../onboarding/provisioning";
import type { WorkOf, WorkType } from "./messages";

export interface WorkLogNames {
	deferred: LogEvent;
	retry: LogEvent;
	failed: LogEvent;
}

export interface WorkHandler<T extends WorkType> {
	logs: WorkLogNames;
	/** What a log line about this message names (never a whole email address). */
	fields(message: WorkOf<T>): LogFields;
	run(d: Deps, message: WorkOf<T>): Promise<void>;
	/** Waiting for the mail provider until `until`: not a failure. */
	deferred?(d: Deps, message: WorkOf<T>, until: number, reason: string): Promise<void>;
	/** One attempt failed; the queue retries it. */
	released?(d: Deps, message: WorkOf<T>, error: string): Promise<void>;
	/**
	 * Given up (a permanent failure, or the dead letter with `error` null): the
	 * fields to log, or null when there is nothing left to fail (a stray copy).
	 */
	failed(d: Deps, message: WorkOf<T>, error: string | null): Promise<LogFields | null>;
}

export const WORK_HANDLERS: { [T in WorkType]: WorkHandler<T> } = {
	provision: {
		logs: { deferred: "PROVISIONING_DEFERRED", retry: "PROVISIONING_RETRY", failed: "PROVISIONING_FAILED" },
		fields: (m) => ({ job_id: m.jobId, client_id: m.clientId }),
		async run(d, m) {
			const outcome = await provisionJob(d, m);
			if (outcome === "leased") {
				log("PROVISIONING_SKIPPED", { job_id: m.jobId, client_id: m.clientId, reason: "leased by another delivery" });
			}
		},
		deferred: (d, m, until, reason) =>
			deferJob(d.db, m.jobId, until, `mail ${reason}: waiting for the provider`, d.clock()),
		released: (d, m, error) => releaseJob(d.db, m.jobId, error, d.clock()),
		async failed(d, m, error) {
			// A completed job is never failed: a stray copy of its message changes nothing.
			const failed = await failJob(d.db, m.jobId, error, d.clock());
			return failed ? { error: failed.lastError } : null;
		},
	},
	link: {
		logs: { deferred: "LINK_DEFERRED", retry: "LINK_RETRY", failed: "LINK_FAILED" },
		fields: (m) => ({ purpose: m.purpose, email_domain: m.email.split("@")[1] ?? "" }),
		async run(d, m) {
			await sendRequestedLink(d, m);
		},
		failed: async (_d, _m, error) => ({ error: error ?? "retries exhausted" }),
	},
	notice: {
		logs: { deferred: "NOTICE_DEFERRED", retry: "NOTICE_RETRY", failed: "NOTICE_FAILED" },
		fields: (m) => ({ kind: m.kind, client_id: m.clientId }),
		async run(d, m) {
			await sendNotice(d, m);
		},
		failed: async (_d, _m, error) => ({ error: error ?? "retries exhausted" }),
	},
	adopt: {
		// Adopting sends no email itself (the provisioning job it makes does): it is never deferred.
		logs: { deferred: "ADOPT_RETRY", retry: "ADOPT_RETRY", failed: "ADOPT_FAILED" },
		fields: (m) => ({ subscription_id: m.subscriptionId, plan_code: m.planCode }),
		run: (d, m) => adoptSubscription(d, m),
		failed: async (_d, _m, error) => ({ error: error ?? "retries exhausted" }),
	},
	app_sync: {
		logs: { deferred: "APP_SYNC_RETRY", retry: "APP_SYNC_RETRY", failed: "APP_SYNC_FAILED" },
		fields: (m) => ({ client_id: m.clientId }),
		run: async (d, m) => {
			await syncAccess(d, m.clientId);
		},
		// The plan keeps its marker: the reconciler's sweep tries again.
		failed: async (_d, _m, error) => ({ error: error ?? "retries exhausted" }),
	},
	app_webhook: {
		logs: { deferred: "APP_WEBHOOK_RETRY", retry: "APP_WEBHOOK_RETRY", failed: "APP_WEBHOOK_FAILED" },
		fields: (m) => ({ delivery_id: m.deliveryId }),
		run: (d, m) => deliverToApp(d, m.deliveryId),
		// The row stays pending and overdue: the reconciler's sweep sends it again.
		failed: async (_d, _m, error) => ({ error: error ?? "retries exhausted" }),
	},
};
