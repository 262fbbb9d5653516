// Steering and reading the stand-in over plain HTTP (`/__control/*`): one client
// for the workerd tests, the browser tests and the benches. Only `fetch`, so it
// runs in workerd and in Node alike.
import type { Json, RecordedRequest, SeededStripe, StripeSeed } from "./types.ts";

/** An email as the mail stand-in accepted it (Resend's request body, plus its id and key). */
export interface SentEmail {
	id: string;
	to: string[];
	subject: string;
	text: string;
	idempotency_key: string | null;
}

/** The mail stand-in's behaviour for one API key; see mail.ts. */
export interface MailSettings {
	delayMs?: number;
	perSecond?: number;
	fail?: { status: number; name: string; times: number };
	hold?: boolean;
	/** A spent quota: every send answers 429 `<quota>_quota_exceeded` until null. */
	quota?: "daily" | "monthly" | null;
	/** A refused request keeps its idempotency key, bound to its body. */
	keepRefusedKeys?: boolean;
}

export function standInClient(url: string) {
	async function control<T = unknown>(path: string, body: Json): Promise<T> {
		const response = await fetch(`${url}/__control/${path}`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify(body),
		});
		if (!response.ok) throw new Error(`stand-in ${path}: HTTP ${response.status} ${await response.text()}`);
		return (await response.json()) as T;
	}
	return {
		url,
		/** STRIPE_API_BASE for a worker. */
		stripeBase: url,
		/** MAIL_API_BASE for a worker: Resend is served under /resend. */
		mailBase: `${url}/resend`,
		control,
		/** Puts Stripe objects in the account of API key `key`; answers them as Stripe now holds them. */
		seedStripe: (key: string, seed: StripeSeed) => control<SeededStripe>("seed", { key, ...seed }),
		/** Recorded API requests whose content includes `contains`. */
		async requests(contains: string): Promise<RecordedRequest[]> {
			const response = await fetch(`${url}/__control/requests?contains=${encodeURIComponent(contains)}`);
			return (await response.json()) as RecordedRequest[];
		},
		/** One mail API key's account: what it accepted, and how it behaves. */
		mailbox(key: string) {
			const emails = () => control<SentEmail[]>("emails", { key });
			return {
				key,
				emails,
				to: async (address: string) => (await emails()).filter((m) => m.to.includes(address)),
				configure: (settings: MailSettings) => control("mail", { key, ...settings }),
			};
		},
		/** One receiver of the operator's app at /app/<name>: what it got, and how it answers. */
		appReceiver(name: string) {
			return {
				/** APP_WEBHOOK_URL for a worker. */
				url: `${url}/app/${name}`,
				deliveries: () => control<{ headers: Record<string, string>; body: string }[]>("app-deliveries", { name }),
				configure: (settings: { fail?: { status: number; times: number; body?: string }; delayMs?: number }) =>
					control("app", { name, ...settings }),
			};
		},
	};
}

export type StandInClient = ReturnType<typeof standInClient>;
