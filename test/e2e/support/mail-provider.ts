// A stand-in of the mail provider's HTTP API (Resend's POST /emails) that the
// journey test can hold: while held, a send waits, so the onboarding page
// stays in "Portal setup" long enough to be seen. It can also refuse the next
// sends as Resend refuses a bad request (422), which fails a job for real.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SentEmail {
	to: string[];
	subject: string;
	text: string;
}

export interface MailProvider {
	url: string;
	emails: SentEmail[];
	hold(): void;
	release(): void;
	/** Answers the next `times` sends with Resend's 422 validation_error, then accepts again. */
	rejectNext(times: number): void;
	linkFor(to: string): string | undefined;
	close(): Promise<void>;
}

export function startMailProvider(): Promise<MailProvider> {
	const emails: SentEmail[] = [];
	const seen = new Map<string, { text: string; id: string }>();
	let held: Promise<void> | null = null;
	let releaseHeld = () => {};
	let rejecting = 0;
	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", async () => {
			if (held) await held;
			if (rejecting > 0) {
				rejecting--;
				// Resend's error shape: https://resend.com/docs/api-reference/errors
				res.writeHead(422, { "content-type": "application/json" });
				res.end(JSON.stringify({ statusCode: 422, name: "validation_error", message: "The `to` field is invalid." }));
				return;
			}
			// As Resend: a key replays its first answer for the same body and is refused (409) for
			// another; a refused request (the 422 above) stores no key.
			const key = String(req.headers["idempotency-key"] ?? "");
			const text = Buffer.concat(chunks).toString();
			const first = seen.get(key);
			if (first !== undefined && first.text !== text) {
				res.writeHead(409, { "content-type": "application/json" });
				res.end(
					JSON.stringify({
						statusCode: 409,
						name: "invalid_idempotent_request",
						message: "Same idempotency key used with a different request payload.",
					}),
				);
				return;
			}
			if (first === undefined) {
				emails.push(JSON.parse(text || "{}") as SentEmail);
				seen.set(key, { text, id: `email_${emails.length}` });
			}
			res.writeHead(200, { "content-type": "application/json" });
			res.end(JSON.stringify({ id: seen.get(key)?.id }));
		});
	});
	return new Promise((resolve) => {
		server.listen(0, "127.0.0.1", () => {
			const { port } = server.address() as AddressInfo;
			resolve({
				url: `http://127.0.0.1:${port}`,
				emails,
				hold() {
					held = new Promise((r) => {
						releaseHeld = r;
					});
				},
				release() {
					releaseHeld();
					held = null;
				},
				rejectNext(times) {
					rejecting = times;
				},
				linkFor(to) {
					const mail = emails.find((m) => m.to.includes(to));
					return mail?.text.match(/https?:\/\/\S+\/set-password\?token=\S+/)?.[0];
				},
				close: () =>
					new Promise<void>((r) => {
						server.closeAllConnections();
						server.close(() => r());
					}),
			});
		});
	});
}
