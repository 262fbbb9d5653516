// Portal accounts: PBKDF2 password hashing, setting a password with a
// single-use link, login sessions. Expected failures are values; routes map
// them to HTTP in one place.
import { randomToken, sha256Hex, toHex } from "../crypto";
import { deleteSession, findSessionUser, findUserByEmail, insertSession, setPasswordWithLink } from "../db/accounts";
import type { Db } from "../db/database";
import { findPasswordToken } from "../db/links";
import { normalizeEmail } from "../rules/email-address";
import type { LinkPurpose } from "../rules/links";
import { passwordProblem } from "../rules/password-policy";

/**
 * Cloudflare's runtime refuses PBKDF2 above 100 000 iterations (workerd#1346;
 * the local workerd does not enforce it), so we use exactly that many.
 */
export const PBKDF2_ITERATIONS = 100_000;
export const SESSION_TTL_MS = 7 * 24 * 3_600_000;

async function pbkdf2(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
	const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"]);
	const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256);
	return new Uint8Array(bits);
}

function fromHex(hex: string): Uint8Array {
	const out = new Uint8Array(hex.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
	return out;
}

export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS) {
	const salt = crypto.getRandomValues(new Uint8Array(16));
	const hash = await pbkdf2(password, salt, iterations);
	return { hash: toHex(hash), salt: toHex(salt), iterations };
}

export async function verifyPassword(
	password: string,
	stored: { hash: string; salt: string; iterations: number },
): Promise<boolean> {
	const derived = await pbkdf2(password, fromHex(stored.salt), stored.iterations);
	const expected = fromHex(stored.hash);
	return derived.length === expected.length && crypto.subtle.timingSafeEqual(derived, expected);
}

export type SetPasswordResult =
	| { ok: true; email: string; purpose: LinkPurpose }
	| { ok: false; reason: "invalid_token" | "token_used" | "token_expired" | "weak_password"; message: string };

const TOKEN_USED = "This link was already used, or a newer one replaced it. Log in, or ask for a new link.";

export async function setPasswordWithToken(
	db: Db,
	token: string,
	password: string,
	now: number,
): Promise<SetPasswordResult> {
	const tokenHash = await sha256Hex(token);
	const row = await findPasswordToken(db, tokenHash);
	if (!row) return { ok: false, reason: "invalid_token", message: "This link is not valid." };
	if (row.usedAt !== null) return { ok: false, reason: "token_used", message: TOKEN_USED };
	if (row.expiresAt <= now) {
		return {
			ok: false,
			reason: "token_expired",
			message: "This link has expired. Ask for a new one with “Forgot password?” on the login page.",
		};
	}
	const problem = passwordProblem(password, row.email);
	if (problem) return { ok: false, reason: "weak_password", message: problem };
	// Only the call that stored its password succeeds: a concurrent use of the same link loses.
	const stored = await setPasswordWithLink(db, tokenHash, row.userId, await hashPassword(password), now);
	if (!stored) return { ok: false, reason: "token_used", message: TOKEN_USED };
	return { ok: true, email: row.email, purpose: row.purpose };
}

// A fixed dummy so an unknown email costs the same PBKDF2 time as a known one.
const DUMMY = { hash: "00".repeat(32), salt: "00".repeat(16), iterations: PBKDF2_ITERATIONS };

export async function login(
	db: Db,
	email: string,
	password: string,
	now: number,
): Promise<{ ok: true; sessionToken: string; expiresAt: number } | { ok: false }> {
	const user = await findUserByEmail(db, normalizeEmail(email));
	const stored =
		user?.passwordHash && user.passwordSalt && user.passwordIterations
			? { hash: user.passwordHash, salt: user.passwordSalt, iterations: user.passwordIterations }
			: DUMMY;
	const matches = await verifyPassword(password, stored);
	if (!user || stored === DUMMY || !matches) return { ok: false };
	const sessionToken = randomToken();
	const expiresAt = now + SESSION_TTL_MS;
	await insertSession(db, await sha256Hex(sessionToken), user.id, expiresAt, now);
	return { ok: true, sessionToken, expiresAt };
}

export async function sessionUser(db: Db, sessionToken: string, now: number) {
	return findSessionUser(db, await sha256Hex(sessionToken), now);
}

export async function logout(db: Db, sessionToken: string) {
	await deleteSession(db, await sha256Hex(sessionToken));
}
