// What counts as an email address here, and its one spelling: trimmed and
// lowercased. Checkout stores it so, and one login per email depends on every
// route (login, reset, search) looking it up the same way.

const SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** RFC 5321's limit on a path; longer input is not an address. */
export const MAX_EMAIL_LENGTH = 254;

export function normalizeEmail(raw: unknown): string {
	return typeof raw === "string" ? raw.trim().toLowerCase() : "";
}

/** The normalized address, or null when `raw` is not one. */
export function parseEmail(raw: unknown): string | null {
	const email = normalizeEmail(raw);
	return email.length <= MAX_EMAIL_LENGTH && SHAPE.test(email) ? email : null;
}
