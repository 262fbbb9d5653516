// The emails this service sends: the welcome email with its set-password link,
// "your new plan is active" for a login that already has a password, and the
// link emails a customer or support asks for. Plain text and matching HTML.
import type { LinkPurpose } from "../rules/links";
import type { MailMessage } from "./mailer";

function escapeHtml(s: string): string {
	return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function hours(ms: number): string {
	const h = Math.round(ms / 3_600_000);
	return h === 1 ? "1 hour" : `${h} hours`;
}

interface Common {
	to: string;
	name: string;
	supportEmail: string;
	idempotencyKey: string;
}

function compose(
	input: Common,
	subject: string,
	paragraphs: string[],
	action: { label: string; url: string; note?: string },
	footer: string[],
): MailMessage {
	const text = [
		`Hello${input.name ? ` ${input.name}` : ""},`,
		"",
		...paragraphs,
		`${action.label}${action.note ? ` (${action.note})` : ""}:`,
		action.url,
		"",
		...footer,
		`Questions? Write to ${input.supportEmail}.`,
	].join("\n");
	const html = [
		`<p>Hello${input.name ? ` ${escapeHtml(input.name)}` : ""},</p>`,
		...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
		`<p><a href="${escapeHtml(action.url)}">${escapeHtml(action.label)}</a>${action.note ? ` (${escapeHtml(action.note)})` : ""}.</p>`,
		`<p>${[...footer, `Questions? Write to ${input.supportEmail}.`].map(escapeHtml).join("<br>")}</p>`,
	].join("\n");
	return { to: input.to, subject, text, html, link: action.url, idempotencyKey: input.idempotencyKey };
}

export function welcomeEmail(input: Common & { crn: string; link: string; expiresInMs: number }): MailMessage {
	return compose(
		input,
		"Your portal is ready: set your password",
		["Thank you for your payment. Your portal is ready."],
		{
			label: "Set your password",
			url: input.link,
			note: `the link works once and expires in ${hours(input.expiresInMs)}`,
		},
		[`Your customer reference: ${input.crn}`],
	);
}

/** A returning customer whose login has a password: no link to set one, just where to log in. */
export function planActiveEmail(input: Common & { crn: string; planName: string; loginUrl: string }): MailMessage {
	return compose(
		input,
		`Your ${input.planName} plan is active`,
		[`Thank you for your payment. Your ${input.planName} plan is active and shows in your portal.`],
		{ label: "Log in to your portal", url: input.loginUrl },
		[`Your customer reference: ${input.crn}`],
	);
}

const LINK_WORDING: Record<Exclude<LinkPurpose, "welcome">, { subject: string; intro: string }> = {
	setup: { subject: "Your set-password link", intro: "Here is a fresh link to set the password for your portal." },
	reset: {
		subject: "Reset your portal password",
		intro: "Someone asked to reset the password for your portal. If it was not you, ignore this email.",
	},
	support: {
		subject: "A link to set your portal password",
		intro: "Our support team sent you a link to set your portal password.",
	},
};

export function linkEmail(
	input: Common & { purpose: Exclude<LinkPurpose, "welcome">; link: string; expiresInMs: number },
): MailMessage {
	const wording = LINK_WORDING[input.purpose];
	return compose(
		input,
		wording.subject,
		[wording.intro],
		{
			label: "Set your password",
			url: input.link,
			note: `the link works once and expires in ${hours(input.expiresInMs)}`,
		},
		["Setting a password logs you out everywhere and makes any older link stop working."],
	);
}
