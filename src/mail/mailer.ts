// The mail transport interface, what a send can come back with, and the factory
// that picks a transport from config. Every send carries an idempotency key: a
// redelivered queue message must not send a second email. An email's body is a
// function of its key (the link in it is derived from the key's run), so a
// retry sends the same bytes and the provider's replay of a key tells the truth.
import type { Config } from "../config";
import type { Db } from "../db/database";
import { createOutboxMailer } from "./outbox";
import { createResendMailer } from "./resend";

export interface MailMessage {
	to: string;
	subject: string;
	text: string;
	html: string;
	/** The one action link, logged by the outbox transport while dev tools are on. */
	link: string;
	idempotencyKey: string;
}

/** The provider took it, or replayed its earlier answer for this key and these same bytes: sent. */
export type SendResult = "sent";

/**
 * Why a send failed, which decides what the queue does with the message:
 * rate_limited waits for the provider's Retry-After without counting as a
 * failure; quota (the account's daily or monthly quota is spent) waits long,
 * also without counting, since retrying within minutes only spends the retries;
 * in_flight and transient retry with backoff; permanent fails the job for an
 * operator (the request itself is wrong; sending it again cannot help);
 * key_conflict is the provider holding another body under our key, which no
 * retry of ours can cause (our bodies follow from the key): an alert, never "sent".
 */
export type MailFailure = "rate_limited" | "quota" | "in_flight" | "transient" | "permanent" | "key_conflict";

export class MailSendError extends Error {
	override name = "MailSendError";
	constructor(
		readonly failure: MailFailure,
		message: string,
		readonly retryAfterSeconds?: number,
	) {
		super(message);
	}
}

export interface Mailer {
	readonly transport: string;
	/** Sends per second the provider accepts; undefined for transports with no limit (the outbox). */
	readonly ratePerSecond?: number;
	send(message: MailMessage): Promise<SendResult>;
}

export function createMailer(config: Config, db: Db, fetcher: typeof fetch = fetch): Mailer {
	if (config.mail.transport === "resend") {
		return createResendMailer(config.mail, fetcher);
	}
	return createOutboxMailer(db, config.devTools);
}
