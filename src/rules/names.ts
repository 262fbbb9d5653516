// What a customer's name may be: plain text on one line. It is shown on pages
// and in emails from the operator's domain, so control characters (newlines
// that would forge an email line among them) are dropped and the length capped.

export const MAX_NAME_LENGTH = 200;

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this rule's purpose.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

export function plainName(raw: string): string {
	return raw.replace(CONTROL, " ").replace(/\s+/g, " ").trim().slice(0, MAX_NAME_LENGTH);
}
