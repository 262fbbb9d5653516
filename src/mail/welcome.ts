// The welcome email with the set-password link.
import type { MailMessage } from "./mailer";

function escapeHtml(s: string): string {
	return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function welcomeEmail(input: {
	to: string;
	name: string;
	crn: string;
	link: string;
	expiresHours: number;
	supportEmail: string;
	idempotencyKey: string;
}): MailMessage {
	const subject = "Your portal is ready: set your password";
	const text = [
		`Hello ${input.name},`,
		"",
		"Thank you for your payment. Your portal is ready.",
		`Set your password here (the link works once and expires in ${input.expiresHours} hours):`,
		input.link,
		"",
		`Your customer reference: ${input.crn}`,
		`Questions? Write to ${input.supportEmail}.`,
	].join("\n");
	const html = `<p>Hello ${escapeHtml(input.name)},</p>
<p>Thank you for your payment. Your portal is ready.</p>
<p><a href="${escapeHtml(input.link)}">Set your password</a> (the link works once and expires in ${input.expiresHours} hours).</p>
<p>Your customer reference: ${escapeHtml(input.crn)}<br>Questions? Write to ${escapeHtml(input.supportEmail)}.</p>`;
	return { to: input.to, subject, text, html, link: input.link, idempotencyKey: input.idempotencyKey };
}
