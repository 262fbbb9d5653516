// The mail transport interface and the factory that picks one from config.
// Every send carries an idempotency key: a redelivered queue message must not
// send a second welcome email.
import type { Config } from "../config";
import type { Db } from "../db/database";
import { createOutboxMailer } from "./outbox";
import { createResendMailer } from "./resend";

export interface MailMessage {
	to: string;
	subject: string;
	text: string;
	html: string;
	/** The one action link, logged by the outbox transport for local work. */
	link: string;
	idempotencyKey: string;
}

export interface Mailer {
	readonly transport: string;
	send(message: MailMessage): Promise<void>;
}

export function createMailer(config: Config, db: Db, fetcher: typeof fetch = fetch): Mailer {
	if (config.mail.transport === "resend") {
		return createResendMailer(config.mail, fetcher);
	}
	return createOutboxMailer(db);
}
