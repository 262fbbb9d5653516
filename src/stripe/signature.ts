// Stripe webhook signature check with Web Crypto only: HMAC-SHA256 over
// `${t}.${rawBody}`, any `v1` may match, any configured secret may match
// (rotation), timestamp within tolerance both ways.
// https://docs.stripe.com/webhooks#verify-manually
// The work is bounded whatever the header says: it is refused unparsed past a
// few KiB or a handful of `v1` entries, the expected MAC is computed once per
// secret, and each candidate is compared to it in constant time.

export type SignatureFailure =
	| "missing_header"
	| "malformed_header"
	| "header_too_large"
	| "no_secret"
	| "mismatch"
	| "stale_timestamp"
	| "future_timestamp";

export type SignatureResult = { ok: true; slot: number; timestamp: number } | { ok: false; reason: SignatureFailure };

export const DEFAULT_TOLERANCE_SECONDS = 300;
/** Stripe sends one v1 per active secret (two while a secret is rolled); 8 leaves room. */
export const MAX_SIGNATURES = 8;
export const MAX_HEADER_BYTES = 4096;

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
	let key = keys.get(secret);
	if (!key) {
		key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
			"verify",
			"sign",
		]);
		keys.set(secret, key);
	}
	return key;
}

function hexToBytes(hex: string): Uint8Array | null {
	if (hex.length !== 64 || !/^[0-9a-f]+$/i.test(hex)) return null;
	const out = new Uint8Array(32);
	for (let i = 0; i < 32; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
	return out;
}

export function parseSignatureHeader(header: string): { timestamp: number; v1: Uint8Array[] } | null {
	let timestamp: number | undefined;
	const v1: Uint8Array[] = [];
	for (const part of header.split(",")) {
		const eq = part.indexOf("=");
		if (eq < 0) continue;
		const k = part.slice(0, eq).trim();
		const v = part.slice(eq + 1).trim();
		if (k === "t" && /^\d{1,12}$/.test(v)) timestamp = Number(v);
		if (k === "v1") {
			const bytes = hexToBytes(v);
			if (bytes) v1.push(bytes);
		}
	}
	if (timestamp === undefined || v1.length === 0) return null;
	return { timestamp, v1 };
}

export async function verifyStripeSignature(
	rawBody: Uint8Array,
	header: string | null | undefined,
	secrets: readonly string[],
	nowSeconds: number,
	toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): Promise<SignatureResult> {
	if (secrets.length === 0) return { ok: false, reason: "no_secret" };
	if (!header) return { ok: false, reason: "missing_header" };
	if (header.length > MAX_HEADER_BYTES) return { ok: false, reason: "header_too_large" };
	const parsed = parseSignatureHeader(header);
	if (!parsed) return { ok: false, reason: "malformed_header" };
	if (parsed.v1.length > MAX_SIGNATURES) return { ok: false, reason: "header_too_large" };

	const prefix = encoder.encode(`${parsed.timestamp}.`);
	const signed = new Uint8Array(prefix.length + rawBody.length);
	signed.set(prefix, 0);
	signed.set(rawBody, prefix.length);

	for (const [slot, secret] of secrets.entries()) {
		const expected = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), signed));
		for (const candidate of parsed.v1) {
			if (crypto.subtle.timingSafeEqual(expected, candidate)) {
				// Checked after the MAC so a forged header learns nothing about timing windows.
				const age = nowSeconds - parsed.timestamp;
				if (age > toleranceSeconds) return { ok: false, reason: "stale_timestamp" };
				if (age < -toleranceSeconds) return { ok: false, reason: "future_timestamp" };
				return { ok: true, slot, timestamp: parsed.timestamp };
			}
		}
	}
	return { ok: false, reason: "mismatch" };
}

/** Signs a payload the way Stripe does (the dev checkout stand-in posts through the real route). */
export async function signStripePayload(payload: string, secret: string, timestamp: number): Promise<string> {
	const key = await hmacKey(secret);
	const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(`${timestamp}.${payload}`)));
	const hex = Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
	return `t=${timestamp},v1=${hex}`;
}
