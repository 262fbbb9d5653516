// Queue consumers. Each message on its own: ack on success; defer a message the
// mail provider is not ready for (re-sent with a delay, so waiting never counts
// toward the dead letter); retry with backoff on a transient failure; fail at
// once on a permanent one. The dead-letter consumer marks jobs whose retries ran
// out as FAILED, so the status page and the ops routes show them.
import { deferJob, failJob, releaseJob } from "./db/jobs";
import { type Deps, deps } from "./deps";
import { errorMessage, log } from "./log";
import { MailSendError } from "./mail/mailer";
import { MailDeferred } from "./mail/paced-send";
import { sendRequestedLink } from "./onboarding/links";
import { PermanentProvisioningError, provisionJob } from "./onboarding/provisioning";
import { parseQueueMessage, type QueueMessage } from "./onboarding/queue-message";

/** 5 s, 15 s, 45 s, 135 s, 405 s: about ten minutes before the dead-letter queue. */
export function retryDelaySeconds(attempts: number): number {
	return Math.min(600, 5 * 3 ** Math.max(0, attempts - 1));
}

/** Queues accept delays up to 12 h; a provider asking for longer is retried at the cap. */
const MAX_DELAY_SECONDS = 12 * 3600;

function isPermanent(error: unknown): boolean {
	return (
		error instanceof PermanentProvisioningError || (error instanceof MailSendError && error.failure === "permanent")
	);
}

async function handle(d: Deps, message: Message<unknown>, body: QueueMessage): Promise<void> {
	const jobId = body.type === "provision" ? body.jobId : undefined;
	const ids = body.type === "provision" ? { job_id: body.jobId, client_id: body.clientId } : { purpose: body.purpose };
	try {
		if (body.type === "provision") {
			const outcome = await provisionJob(d, body);
			if (outcome === "leased") log("PROVISIONING_SKIPPED", { ...ids, reason: "leased by another delivery" });
		} else {
			await sendRequestedLink(d, body);
		}
		message.ack();
	} catch (error) {
		const now = d.clock();
		const reason = errorMessage(error);
		if (error instanceof MailDeferred) {
			// Rounded down: the message comes back just before its slot and waits for it
			// (sendPaced), instead of just after it, sending out of step with the gate.
			const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.floor((error.until - now) / 1000)));
			if (jobId) await deferJob(d.db, jobId, error.until, `mail ${error.reason}: waiting for the provider`, now);
			try {
				// A fresh message carrying its reserved slot: attempts start over, so a
				// provider's 429 never pushes a paying customer toward the dead letter.
				await d.queue.send({ ...body, slotAt: error.until }, { contentType: "json", delaySeconds });
				message.ack();
			} catch {
				message.retry({ delaySeconds });
			}
			log("PROVISIONING_DEFERRED", { ...ids, reason: error.reason, delay_seconds: delaySeconds });
			return;
		}
		if (isPermanent(error)) {
			if (jobId) await failJob(d.db, jobId, reason, now);
			log("PROVISIONING_FAILED", { ...ids, error: reason, permanent: true });
			message.ack();
			return;
		}
		if (jobId) await releaseJob(d.db, jobId, reason, now).catch(() => {});
		const delaySeconds = retryDelaySeconds(message.attempts);
		log("PROVISIONING_RETRY", { ...ids, attempt: message.attempts, delay_seconds: delaySeconds, error: reason });
		message.retry({ delaySeconds });
	}
}

export async function handleProvisioningBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
	const d = deps(env);
	// The batch's messages at once: each is its own job (a lease keeps two copies of one
	// apart, the mail gate spaces sends), so one slow send or paced wait holds up no other.
	const settled = await Promise.allSettled(
		batch.messages.map(async (message) => {
			const body = parseQueueMessage(message.body);
			if (!body) {
				// Retrying a malformed message cannot help; say so and drop it.
				log("PROVISIONING_FAILED", { message_id: message.id, error: "malformed queue message" });
				message.ack();
				return;
			}
			await handle(d, message, body);
		}),
	);
	// As before: an error that escaped a message's own handling fails the batch (unacked messages are retried).
	const failed = settled.find((r) => r.status === "rejected");
	if (failed) throw failed.reason;
}

export async function handleDeadLetterBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
	const d = deps(env);
	for (const message of batch.messages) {
		const body = parseQueueMessage(message.body);
		if (body?.type === "provision") {
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
		} else if (body?.type === "link") {
			log("LINK_FAILED", { purpose: body.purpose, email_domain: body.email.split("@")[1], dead_letter: true });
		} else {
			log("PROVISIONING_FAILED", { message_id: message.id, error: "malformed dead-letter message" });
		}
		message.ack();
	}
}
