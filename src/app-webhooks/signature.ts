// Standard Webhooks signing for the operator's own app, with Web Crypto only:
// `v1,` + base64 HMAC-SHA256 over `${id}.${timestamp}.${body}`, keyed with the
// base64-decoded part of a `whsec_` secret, so the official libraries verify it.
// https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md

const SECRET_PREFIX = "whsec_";
// The spec asks for keys of 24 to 64 bytes; shorter ones are guessable, longer ones a paste error.
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface StandardWebhookHeaders {
	"webhook-id": string;
	"webhook-timestamp": string;
	"webhook-signature": string;
}

export interface SignInput {
	/** One per message, the same on every retry: receivers deduplicate by it. */
	id: string;
	/** Unix seconds of this attempt: receivers refuse stale ones. */
	timestamp: number;
	/** The exact bytes sent: the signature covers the body as a string, not the object it came from. */
	body: string;
	/** `whsec_` + base64 key. */
	secret: string;
}

/** The key bytes of a `whsec_` secret; null when it is not one (wrong prefix, not base64, wrong length). */
export function parseWebhookSecret(secret: string): Uint8Array<ArrayBuffer> | null {
	if (!secret.startsWith(SECRET_PREFIX)) return null;
	const encoded = secret.slice(SECRET_PREFIX.length);
	if (encoded.length % 4 !== 0 || !BASE64.test(encoded)) return null;
	let binary: string;
	try {
		binary = atob(encoded);
	} catch {
		return null;
	}
	if (binary.length < MIN_KEY_BYTES || binary.length > MAX_KEY_BYTES) return null;
	return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

function base64(bytes: ArrayBuffer): string {
	let binary = "";
	for (const b of new Uint8Array(bytes)) binary += String.fromCharCode(b);
	return btoa(binary);
}

/** The three headers of one delivery attempt. Throws on a malformed secret: config only hands out well-formed ones. */
export async function signStandardWebhook(input: SignInput): Promise<StandardWebhookHeaders> {
	const keyBytes = parseWebhookSecret(input.secret);
	if (!keyBytes) throw new Error("APP_WEBHOOK_SECRET is not a whsec_ secret of 24 to 64 bytes");
	const timestamp = String(Math.floor(input.timestamp));
	const key = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
	const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${input.id}.${timestamp}.${input.body}`));
	return {
		"webhook-id": input.id,
		"webhook-timestamp": timestamp,
		"webhook-signature": `v1,${base64(mac)}`,
	};
}
