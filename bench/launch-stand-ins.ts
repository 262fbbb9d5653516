// The providers on launch day: the tests' own Stripe and Resend stand-ins
// (test/support/stand-in), rate-limited per API key, on loopback, with every
// request they answer recorded so the bench can count calls per customer.
import { startStandIn } from "../test/support/stand-in-server.ts";

export interface Exchange {
	/** Epoch ms the request arrived. */
	at: number;
	service: "stripe" | "mail";
	key: string;
	method: string;
	path: string;
	status: number;
	/** Mail only: the recipient. */
	to?: string;
	/** Mail only: the provider's error name (rate_limit_exceeded, invalid_idempotent_request, …). */
	error?: string;
}

export interface StandIns {
	url: string;
	/** STRIPE_API_BASE for the worker. */
	stripeBase: string;
	/** MAIL_API_BASE for the worker (the stand-in serves Resend under /resend). */
	mailBase: string;
	exchanges: Exchange[];
	/** Sets the per-second limits of one Stripe key and one mail key. */
	limit(stripeKey: string, stripePerSecond: number, mailKey: string, mailPerSecond: number): Promise<void>;
	/** Customer paid on Stripe's page: the session completes; returns it as Stripe now has it. */
	completeSession(
		stripeKey: string,
		sessionId: string,
		patch: Record<string, unknown>,
	): Promise<Record<string, unknown>>;
	/** Emails the provider accepted for this key (not its 429s or 409s). */
	acceptedEmails(mailKey: string): Promise<{ to: string[]; text: string }[]>;
	close(): Promise<void>;
}

export async function startStandIns(): Promise<StandIns> {
	const exchanges: Exchange[] = [];
	const { server, url } = await startStandIn(0, (request, answer) => {
		const mail = request.path.startsWith("/resend/");
		const body = answer.body as { name?: unknown } | null;
		exchanges.push({
			at: request.at,
			service: mail ? "mail" : "stripe",
			key: request.key,
			method: request.method,
			path: request.path,
			status: answer.status,
			...(mail
				? {
						to: ((request.json as { to?: string[] } | null)?.to ?? [])[0],
						error: answer.status >= 400 && typeof body?.name === "string" ? body.name : undefined,
					}
				: {}),
		});
	});
	async function control<T>(path: string, body: unknown): Promise<T> {
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
		stripeBase: url,
		mailBase: `${url}/resend`,
		exchanges,
		async limit(stripeKey, stripePerSecond, mailKey, mailPerSecond) {
			await control("stripe", { key: stripeKey, perSecond: stripePerSecond });
			await control("mail", { key: mailKey, perSecond: mailPerSecond });
		},
		completeSession: (stripeKey, sessionId, patch) => control("session", { key: stripeKey, id: sessionId, patch }),
		acceptedEmails: (mailKey) => control("emails", { key: mailKey }),
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}
