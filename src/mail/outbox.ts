// The `outbox` transport: the message is stored in D1 and logged with its link,
// so local work and tests need no mail provider. Not for real customers.
import type { Db } from "../db/database";
import { insertOutboxMessage } from "../db/outbox";
import { log } from "../log";
import type { Mailer } from "./mailer";

export function createOutboxMailer(db: Db, now: () => number = Date.now): Mailer {
	return {
		transport: "outbox",
		async send(message) {
			const stored = await insertOutboxMessage(db, {
				id: crypto.randomUUID(),
				idempotencyKey: message.idempotencyKey,
				toAddress: message.to,
				subject: message.subject,
				textBody: message.text,
				createdAt: now(),
			});
			if (stored) log("OUTBOX_MESSAGE", { to: message.to, subject: message.subject, link: message.link });
		},
	};
}
