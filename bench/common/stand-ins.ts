// The benches' providers: the tests' own Stripe and Resend stand-in
// (test/support/stand-in), rate-limited per API key, on loopback, with every
// request it answers recorded so a bench can count calls per route or customer.
import { standInClient } from "../../test/support/stand-in/client.ts";
import { startStandIn } from "../../test/support/stand-in/server.ts";

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
	const { url, close } = await startStandIn(0, (request, answer) => {
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
	const client = standInClient(url);
	return {
		url,
		stripeBase: client.stripeBase,
		mailBase: client.mailBase,
		exchanges,
		async limit(stripeKey, stripePerSecond, mailKey, mailPerSecond) {
			await client.control("stripe", { key: stripeKey, perSecond: stripePerSecond });
			await client.mailbox(mailKey).configure({ perSecond: mailPerSecond });
		},
		completeSession: (stripeKey, sessionId, patch) =>
			client.control("session", { key: stripeKey, id: sessionId, patch }),
		acceptedEmails: (mailKey) => client.mailbox(mailKey).emails(),
		close,
	};
}

/** Requests answered, by "METHOD path" (path without query). */
export function callsByRoute(exchanges: Exchange[]): Record<string, number> {
	const calls: Record<string, number> = {};
	for (const e of exchanges) calls[`${e.method} ${e.path}`] = (calls[`${e.method} ${e.path}`] ?? 0) + 1;
	return calls;
}
