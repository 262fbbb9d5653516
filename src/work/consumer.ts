// The work queue's consumers. Each message on its own, dispatched by type
// (src/work/handlers.ts): ack on success; defer a message the mail provider is
// not ready for (re-sent with a delay, so waiting never counts toward the dead
// letter); retry with backoff on a transient failure; fail at once on a
// permanent one. The dead-letter consumer fails what ran out of retries, so the
// status page and the console show it.
import { type Deps, deps } from "../deps";
import { errorMessage, log } from "../log";
import { MailSendError } from "../mail/mailer";
import { MailDeferred } from "../mail/paced-send";
import { PermanentProvisioningError } from "../onboarding/provisioning";
import { WORK_HANDLERS, type WorkHandler } from "./handlers";
import { parseWorkMessage, type WorkOf, type WorkType, withSlot } from "./messages";

/** 5 s, 15 s, 45 s, 135 s, 405 s: about ten minutes before the dead-letter queue. */
export function retryDelaySeconds(attempts: number): number {
	return Math.min(600, 5 * 3 ** Math.max(0, attempts - 1));
}

/** Queues accept delays up to 12 h; a provider asking for longer is retried at the cap. */
const MAX_DELAY_SECONDS = 12 * 3600;

function isPermanent(error: unknown): boolean {
	return (
		error instanceof PermanentProvisioningError ||
		(error instanceof MailSendError && (error.failure === "permanent" || error.failure === "key_conflict"))
	);
}

async function handle<T extends WorkType>(d: Deps, message: Message<unknown>, body: WorkOf<T>) {
	const handler: WorkHandler<T> = WORK_HANDLERS[body.type];
	const fields = handler.fields(body);
	try {
		await handler.run(d, body);
		message.ack();
	} catch (error) {
		const reason = errorMessage(error);
		if (error instanceof MailDeferred) {
			// Rounded down: the message comes back just before its slot and waits for it
			// (sendPaced), instead of just after it, sending out of step with the gate.
			const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.floor((error.until - d.clock()) / 1000)));
			await handler.deferred?.(d, body, error.until, error.reason);
			try {
				// A fresh message carrying its reserved slot: attempts start over, so a
				// provider's 429 never pushes a paying customer toward the dead letter.
				await d.queue.send(withSlot(body, error.until), { contentType: "json", delaySeconds });
				message.ack();
			} catch {
				message.retry({ delaySeconds });
			}
			log(handler.logs.deferred, { ...fields, reason: error.reason, delay_seconds: delaySeconds });
			return;
		}
		if (isPermanent(error)) {
			if (error instanceof MailSendError && error.failure === "key_conflict") {
				// Our bodies follow from their keys, so this is not a retry of ours: someone
				// else sends under our keys, or a run was replayed with other content.
				log("MAIL_KEY_CONFLICT", { ...fields, error: reason });
			}
			const failed = await handler.failed(d, body, reason);
			log(handler.logs.failed, { ...fields, ...failed, error: reason, permanent: true });
			message.ack();
			return;
		}
		await handler.released?.(d, body, reason).catch(() => {});
		const delaySeconds = retryDelaySeconds(message.attempts);
		log(handler.logs.retry, { ...fields, attempt: message.attempts, delay_seconds: delaySeconds, error: reason });
		message.retry({ delaySeconds });
	}
}

export async function handleWorkBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
	const d = deps(env);
	// The batch's messages at once: each is its own job (a lease keeps two copies of one
	// apart, the mail gate spaces sends), so one slow send or paced wait holds up no other.
	const settled = await Promise.allSettled(
		batch.messages.map(async (message) => {
			const body = parseWorkMessage(message.body);
			if (!body) {
				// Retrying a malformed message cannot help; say so and drop it.
				log("WORK_MESSAGE_MALFORMED", { message_id: message.id });
				message.ack();
				return;
			}
			await handle(d, message, body);
		}),
	);
	// An error that escaped a message's own handling fails the batch (unacked messages are retried).
	const failed = settled.find((r) => r.status === "rejected");
	if (failed) throw failed.reason;
}

async function deadLetter<T extends WorkType>(d: Deps, body: WorkOf<T>) {
	const handler: WorkHandler<T> = WORK_HANDLERS[body.type];
	const failed = await handler.failed(d, body, null);
	if (failed) log(handler.logs.failed, { ...handler.fields(body), ...failed, dead_letter: true });
}

export async function handleDeadLetterBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
	const d = deps(env);
	for (const message of batch.messages) {
		const body = parseWorkMessage(message.body);
		if (!body) {
			log("WORK_MESSAGE_MALFORMED", { message_id: message.id, dead_letter: true });
		} else {
			await deadLetter(d, body);
		}
		message.ack();
	}
}
