// A real provider over fetch: Resend's HTTP API (POST /emails). Its answers,
// as documented, decide what a failed send means:
// https://resend.com/docs/api-reference/errors, /docs/dashboard/emails/idempotency-keys
// - 409 invalid_idempotent_request: the key was used with another body within
//   24 h. Our body is a function of the key, so no attempt of ours sent that
//   body: a key conflict to alert on, never read as "sent". The same key with
//   the same body is replayed (200): the provider saying it already sent it.
// - 409 concurrent_idempotent_requests: that earlier attempt is still running.
// - 429 rate_limit_exceeded with Retry-After; 429 daily_quota_exceeded and
//   monthly_quota_exceeded do not clear within seconds: a quota, for an operator.
import type { Config } from "../config";
import { type Mailer, MailSendError } from "./mailer";

const PERMANENT_STATUSES = new Set([400, 401, 403, 404, 405, 422]);
const QUOTA_NAMES = new Set(["daily_quota_exceeded", "monthly_quota_exceeded"]);

function retryAfterSeconds(response: Response): number {
	const seconds = Number(response.headers.get("retry-after"));
	return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 3600) : 1;
}

export function createResendMailer(mail: Config["mail"], fetcher: typeof fetch): Mailer {
	return {
		transport: "resend",
		ratePerSecond: mail.ratePerSecond,
		async send(message) {
			if (!mail.apiKey) throw new MailSendError("transient", "MAIL_API_KEY is not set");
			if (!mail.apiBaseUsable)
				throw new MailSendError("transient", "MAIL_API_BASE is not usable (see /api/admin/health)");
			let response: Response;
			try {
				response = await fetcher(`${mail.apiBase}/emails`, {
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
					signal: AbortSignal.timeout(mail.timeoutMs),
				});
			} catch (error) {
				// A timeout may still have been accepted: the retry's key finds out.
				throw new MailSendError("transient", `mail provider unreachable: ${(error as Error).name}`);
			}
			if (response.ok) return "sent";
			// The provider's message may echo the email; keep only its status and error name.
			const name = await errorName(response);
			const what = `mail provider answered ${response.status}${name ? ` (${name})` : ""}`;
			if (response.status === 409 && name === "invalid_idempotent_request") {
				throw new MailSendError("key_conflict", `${what}: another body under key ${message.idempotencyKey}`);
			}
			if (response.status === 409) throw new MailSendError("in_flight", what);
			if (response.status === 429 && QUOTA_NAMES.has(name)) throw new MailSendError("quota", what);
			if (response.status === 429) throw new MailSendError("rate_limited", what, retryAfterSeconds(response));
			if (PERMANENT_STATUSES.has(response.status)) throw new MailSendError("permanent", what);
			throw new MailSendError("transient", what);
		},
	};
}

async function errorName(response: Response): Promise<string> {
	try {
		const body = (await response.json()) as { name?: unknown };
		return typeof body.name === "string" ? body.name.slice(0, 60) : "";
	} catch {
		return "";
	}
}
