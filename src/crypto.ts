// Random opaque tokens and their hashes (Web Crypto). Only hashes are stored,
// so a database leak does not hand out onboarding, password or session tokens.

const TOKEN_BYTES = 32;
/** base64url of 32 bytes, unpadded. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

function base64url(bytes: Uint8Array): string {
	let binary = "";
	for (const b of bytes) binary += String.fromCharCode(b);
	return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function randomToken(): string {
	return base64url(crypto.getRandomValues(new Uint8Array(TOKEN_BYTES)));
}

/**
 * A token derived from `secret` and `label` (HMAC-SHA256 twice: a key for
 * tokens derived from the secret, then the label under it). The same label
 * always gives the same token, so an email made again for the same
 * idempotency key has the same bytes; without the secret nobody can derive it.
 */
export async function derivedToken(secret: string, label: string): Promise<string> {
	const enc = new TextEncoder();
	const hmac = async (key: ArrayBuffer | Uint8Array, data: string) =>
		crypto.subtle.sign(
			"HMAC",
			await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
			enc.encode(data),
		);
	const tokenKey = await hmac(enc.encode(secret), "onboarding-edge set-password tokens v1");
	return base64url(new Uint8Array(await hmac(tokenKey, label)));
}

export function isTokenShaped(value: unknown): value is string {
	return typeof value === "string" && TOKEN_SHAPE.test(value);
}

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
	return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function sha256Hex(value: string): Promise<string> {
	return toHex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value)));
}

/** Customer reference number: short, unambiguous, safe to read over the phone. */
export function newCrn(): string {
	const alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
	const bytes = crypto.getRandomValues(new Uint8Array(8));
	let out = "";
	for (const b of bytes) out += alphabet[b % alphabet.length];
	return `CRN-${out.slice(0, 4)}-${out.slice(4)}`;
}

/** Constant-time string comparison (for bearer tokens). */
export function timingSafeEqualStrings(a: string, b: string): boolean {
	const enc = new TextEncoder();
	const ab = enc.encode(a);
	const bb = enc.encode(b);
	// workerd's crypto.subtle.timingSafeEqual needs equal lengths; compare b to itself to keep time flat.
	if (ab.length !== bb.length) {
		crypto.subtle.timingSafeEqual(bb, bb);
		return false;
	}
	return crypto.subtle.timingSafeEqual(ab, bb);
}
