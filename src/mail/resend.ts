// A real provider over fetch: Resend's HTTP API (POST /emails). Its
// Idempotency-Key header makes a retried send a no-op for 24 h.
// https://resend.com/docs/api-reference/emails/send-email
import type { Config } from "../config";
import type { Mailer } from "./mailer";

export class MailSendError extends Error {
	override name = "MailSendError";
}

export function createResendMailer(mail: Config["mail"], fetcher: typeof fetch): Mailer {
	return {
		transport: "resend",
		async send(message) {
			if (!mail.apiKey) throw new MailSendError("MAIL_API_KEY is not set");
			const response = await fetcher(`${mail.apiBase}/emails`, {
				method: "POST",
				headers: {
					authorization: `Bearer ${mail.apiKey}`,
					"content-type": "application/json",
					"idempotency-key": message.idempotencyKey,
				},
				body: JSON.stringify({
					from: mail.from,
					to: [message.to],
					subject: message.subject,
					text: message.text,
					html: message.html,
				}),
				signal: AbortSignal.timeout(10_000),
			});
			if (!response.ok) {
				// The provider's body may echo the message; keep only the status.
				throw new MailSendError(`mail provider answered ${response.status}`);
			}
		},
	};
}
