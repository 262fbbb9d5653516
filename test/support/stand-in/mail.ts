// Resend's POST /emails as documented, unkind where Resend is: an
// Idempotency-Key replays the first answer for the same body, answers 409
// invalid_idempotent_request for a different body and 409
// concurrent_idempotent_requests while the first is still running; past the
// team's rate it answers 429 rate_limit_exceeded with Retry-After; it can be
// slow, answering only after it has accepted (and will deliver) the email; and
// it can be held, so sends wait on the way in until released; and an account
// whose daily or monthly quota is spent answers every send 429
// daily_quota_exceeded / monthly_quota_exceeded until the quota is lifted.
// Resend's docs do not say whether a refused first request keeps its key:
// `keepRefusedKeys` makes a refused request keep it (bound to its body, no
// email sent), so the product is shown correct either way.
// https://resend.com/docs/dashboard/emails/idempotency-keys, /docs/api-reference/errors
import { type Answer, type Json, RateWindow, type RecordedRequest } from "./types.ts";

interface MailAccount {
	/** Idempotency key → the accepted request's body and answer (kept 24 h at Resend; for the run here). */
	keys: Map<string, { text: string; id: string; inFlight: boolean; refused?: boolean }>;
	/** A refused request (a configured failure, a spent quota) keeps its key, bound to its body. */
	keepRefusedKeys: boolean;
	emails: Json[];
	delayMs: number;
	perSecond: number;
	failures: { status: number; name: string; times: number } | null;
	/** A spent quota: every send is refused until it is lifted (waiting seconds does not help). */
	quota: "daily" | "monthly" | null;
	calls: number;
	/** While set, requests wait here before the provider looks at them. */
	held: { until: Promise<void>; release: () => void } | null;
}

const resendError = (status: number, name: string, message: string, headers?: Record<string, string>): Answer => ({
	status,
	body: { statusCode: status, name, message },
	headers,
});

export function createMailStandIn() {
	const accounts = new Map<string, MailAccount>();
	const rate = new RateWindow();
	let counter = 0;
	const account = (key: string) => {
		let a = accounts.get(key);
		if (!a) {
			a = {
				keys: new Map(),
				emails: [],
				delayMs: 0,
				perSecond: 1000,
				failures: null,
				quota: null,
				keepRefusedKeys: false,
				calls: 0,
				held: null,
			};
			accounts.set(key, a);
		}
		return a;
	};

	async function send(r: RecordedRequest): Promise<Answer> {
		if (!r.key.startsWith("re_")) return resendError(401, "validation_error", "API key is invalid");
		const a = account(r.key);
		if (a.held) await a.held.until;
		a.calls++;
		if (!rate.allow(r.key, a.perSecond)) {
			return resendError(
				429,
				"rate_limit_exceeded",
				"Too many requests. Please limit the number of requests per second.",
				{
					"retry-after": "1",
					"ratelimit-limit": String(a.perSecond),
					"ratelimit-remaining": "0",
					"ratelimit-reset": "1",
				},
			);
		}
		const idem = r.headers["idempotency-key"];
		const refuse = (answer: Answer): Answer => {
			if (a.keepRefusedKeys && idem && !a.keys.has(idem)) {
				a.keys.set(idem, { text: r.text, id: "", inFlight: false, refused: true });
			}
			return answer;
		};
		if (a.quota) {
			return refuse(
				resendError(429, `${a.quota}_quota_exceeded`, `You have reached your ${a.quota} email sending quota.`),
			);
		}
		if (a.failures && a.failures.times > 0) {
			a.failures.times--;
			return refuse(resendError(a.failures.status, a.failures.name, "stand-in failure"));
		}
		if (idem) {
			const seen = a.keys.get(idem);
			if (seen?.inFlight) {
				return resendError(
					409,
					"concurrent_idempotent_requests",
					"Same idempotency key used while a request is in progress.",
				);
			}
			if (seen && seen.text !== r.text) {
				return resendError(
					409,
					"invalid_idempotent_request",
					"Same idempotency key used with a different request payload.",
				);
			}
			// A kept refused key with the same body: this request is processed as a first one.
			if (seen && !seen.refused) return { status: 200, body: { id: seen.id } };
		}
		counter++;
		const id = `email_${Date.now().toString(36)}${counter}`;
		// Accepted now; the answer may come later (a slow provider the client gives up on).
		const entry = { text: r.text, id, inFlight: true };
		if (idem) a.keys.set(idem, entry);
		a.emails.push({ id, ...(r.json as Json), idempotency_key: idem ?? null });
		if (a.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, a.delayMs));
		entry.inFlight = false;
		return { status: 200, body: { id } };
	}

	return {
		handles: (r: RecordedRequest) => r.path === "/resend/emails" && r.method === "POST",
		send,
		/** `{key, delayMs?, perSecond?, fail?: {status, name, times}, hold?: boolean, quota?: "daily" | "monthly" | null, keepRefusedKeys?: boolean}` */
		configure(body: Json) {
			const a = account(String(body.key));
			if (body.hold === true && !a.held) {
				let release = () => {};
				const until = new Promise<void>((resolve) => {
					release = resolve;
				});
				a.held = { until, release };
			}
			if (body.hold === false && a.held) {
				a.held.release();
				a.held = null;
			}
			if (typeof body.delayMs === "number") a.delayMs = body.delayMs;
			if (typeof body.perSecond === "number") a.perSecond = body.perSecond;
			if (body.quota === "daily" || body.quota === "monthly" || body.quota === null) a.quota = body.quota;
			if (typeof body.keepRefusedKeys === "boolean") a.keepRefusedKeys = body.keepRefusedKeys;
			const fail = body.fail as { status?: number; name?: string; times?: number } | undefined;
			if (fail)
				a.failures = { status: fail.status ?? 500, name: fail.name ?? "internal_server_error", times: fail.times ?? 1 };
		},
		emails: (key: string) => account(key).emails,
		calls: (key: string) => account(key).calls,
	};
}
