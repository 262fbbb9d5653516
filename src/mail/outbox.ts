// The `outbox` transport: the message is stored in D1 for local work and tests,
// which need no mail provider. Not for real customers: in live mode it is a
// configuration problem. Its link is logged only while dev tools are on, since
// anyone who reads the logs could otherwise take the account.
import type { Db } from "../db/database";
import { insertOutboxMessage } from "../db/outbox";
import { log } from "../log";
import type { Mailer } from "./mailer";

export function createOutboxMailer(db: Db, logLinks: boolean, now: () => number = Date.now): Mailer {
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
			if (!stored) return "sent";
			log("OUTBOX_MESSAGE", {
				email_domain: message.to.split("@")[1],
				subject: message.subject,
				...(logLinks ? { dev_link: message.link } : {}),
			});
			return "sent";
		},
	};
}
