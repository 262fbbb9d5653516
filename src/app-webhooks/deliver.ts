// One attempt at a delivery to the operator's app: sign (a fresh timestamp,
// the same id), POST within DELIVERY_TIMEOUT_MS, read at most MAX_ANSWER_BYTES
// of the answer. 2xx is delivered; anything else is a failed attempt with a
// short account of why, never the receiver's whole answer.
import { DELIVERY_TIMEOUT_MS, MAX_ANSWER_BYTES } from "../rules/app-deliveries";
import { signStandardWebhook } from "./signature";

export type AttemptResult = { ok: true; status: number } | { ok: false; status: number | null; error: string };

/** Reads up to `max` bytes of a body and drops the rest unread. */
async function readBounded(response: Response, max: number): Promise<string> {
	const reader = response.body?.getReader();
	if (!reader) return "";
	const chunks: Uint8Array[] = [];
	let size = 0;
	try {
		while (size < max) {
			const { done, value } = await reader.read();
			if (done || !value) break;
			chunks.push(value.slice(0, max - size));
			size += value.byteLength;
		}
	} finally {
		await reader.cancel().catch(() => {});
	}
	const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
	let at = 0;
	for (const chunk of chunks) {
		bytes.set(chunk, at);
		at += chunk.byteLength;
	}
	return new TextDecoder().decode(bytes);
}

/** What of an answer is kept: its first line, printable, short. */
function excerpt(text: string): string {
	return (text.split("\n")[0] ?? "").replace(/[^\x20-\x7e]/g, "?").slice(0, 120);
}

export async function attemptDelivery(
	target: { url: string; secret: string },
	delivery: { id: string; payload: string },
	now: number,
	fetcher: typeof fetch = fetch,
): Promise<AttemptResult> {
	const headers = await signStandardWebhook({
		id: delivery.id,
		timestamp: Math.floor(now / 1000),
		body: delivery.payload,
		secret: target.secret,
	});
	let response: Response;
	try {
		response = await fetcher(target.url, {
			method: "POST",
			headers: { "content-type": "application/json", "user-agent": "onboarding-edge-webhooks", ...headers },
			body: delivery.payload,
			redirect: "manual",
			signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
		});
	} catch (error) {
		const name = error instanceof Error ? error.name : "Error";
		return {
			ok: false,
			status: null,
			error: name === "TimeoutError" ? `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s` : `unreachable (${name})`,
		};
	}
	const answer = await readBounded(response, MAX_ANSWER_BYTES).catch(() => "");
	if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
	return {
		ok: false,
		status: response.status,
		error: `answered ${response.status}${answer ? `: ${excerpt(answer)}` : ""}`,
	};
}
