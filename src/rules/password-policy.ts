// The password policy, declared once. The set-password page checks only what it
// can know sooner (the length, that both fields match) and otherwise shows the
// message this returns.

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;
const MIN_DISTINCT_CHARACTERS = 4;
/** Shorter local parts ("a@…") would ban every password containing their letters. */
const MIN_LOCAL_PART_TO_BAN = 4;

/** Why this password is refused, in words for the customer; null when it is fine. */
export function passwordProblem(password: string, email: string): string | null {
	if (password.length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
	if (password.length > MAX_PASSWORD_LENGTH) return `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
	if (new Set(password).size < MIN_DISTINCT_CHARACTERS) return "Use a less repetitive password.";
	const lower = password.toLowerCase();
	const address = email.toLowerCase();
	const local = address.split("@")[0] ?? "";
	if (lower.includes(address) || (local.length >= MIN_LOCAL_PART_TO_BAN && lower.includes(local))) {
		return "Do not use your email address in the password.";
	}
	return null;
}
