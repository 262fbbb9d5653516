// Queue consumers. Provisioning: per-message try/catch; ack on success, retry
// with backoff on a transient failure, fail at once on a permanent one. The
// dead-letter consumer marks jobs whose retries ran out as FAILED.
import { failJob, recordJobError } from "./db/jobs";
import { deps } from "./deps";
import { errorMessage, log } from "./log";
import { PermanentProvisioningError, provisionJob } from "./onboarding/provisioning";
import { isProvisionMessage } from "./onboarding/provisioning-message";

/** 5 s, 15 s, 45 s, 135 s, 405 s: about ten minutes before the dead-letter queue. */
export function retryDelaySeconds(attempts: number): number {
	return Math.min(600, 5 * 3 ** Math.max(0, attempts - 1));
}

export async function handleProvisioningBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
	const d = deps(env);
	const { db } = d;
	const provisionDeps = {
		db,
		mailer: d.mailer,
		appUrl: d.config.appUrl,
		supportEmail: d.config.supportEmail,
		now: d.clock,
	};
	for (const message of batch.messages) {
		const body = message.body;
		if (!isProvisionMessage(body)) {
			// Retrying a malformed message cannot help; say so and drop it.
			log("PROVISIONING_FAILED", { message_id: message.id, error: "malformed queue message" });
			message.ack();
			continue;
		}
		try {
			await provisionJob(provisionDeps, body);
			message.ack();
		} catch (error) {
			const reason = errorMessage(error);
			if (error instanceof PermanentProvisioningError) {
				await failJob(db, body.jobId, reason, d.clock());
				log("PROVISIONING_FAILED", { job_id: body.jobId, client_id: body.clientId, error: reason, permanent: true });
				message.ack();
				continue;
			}
			await recordJobError(db, body.jobId, reason, d.clock()).catch(() => {});
			const delaySeconds = retryDelaySeconds(message.attempts);
			log("PROVISIONING_RETRY", {
				job_id: body.jobId,
				client_id: body.clientId,
				attempt: message.attempts,
				delay_seconds: delaySeconds,
				error: reason,
			});
			message.retry({ delaySeconds });
		}
	}
}

export async function handleDeadLetterBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
	const d = deps(env);
	for (const message of batch.messages) {
		const body = message.body;
		if (isProvisionMessage(body)) {
			// A stray copy of a message whose job already completed changes nothing.
			const failed = await failJob(d.db, body.jobId, null, d.clock());
			if (failed) {
				log("PROVISIONING_FAILED", {
					job_id: body.jobId,
					client_id: body.clientId,
					error: failed.lastError,
					dead_letter: true,
				});
			}
		} else {
			log("PROVISIONING_FAILED", { message_id: message.id, error: "malformed dead-letter message" });
		}
		message.ack();
	}
}
