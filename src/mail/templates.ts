// The emails this service sends: the welcome email with its set-password link,
// "your new plan is active" for a login that already has a password, the link
// emails a customer or support asks for, and the notices about a plan's money
// (a failed renewal, a payment to confirm, a trial ending). Plain text and
// matching HTML.
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

/**
 * A plan that joined a login with a password: no link to set one, just where to
 * log in. Anyone can pay with someone's email, so the owner is told a plan was
 * added and that support removes it if it was not them.
 */
export function planActiveEmail(input: Common & { crn: string; planName: string; loginUrl: string }): MailMessage {
	return compose(
		input,
		`Your ${input.planName} plan is active`,
		[
			`A ${input.planName} plan was just paid for with your email address, so it was added to your portal login, where it shows now.`,
			`If it was not you, write to ${input.supportEmail} with the customer reference below: support can remove it from your login.`,
		],
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

function day(ms: number): string {
	return new Date(ms).toLocaleDateString("en-US", { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" });
}

type Notice = Common & { planName: string; dashboardUrl: string };

/** One per failed attempt: pay the invoice on Stripe's page, or update the card from the dashboard. */
export function paymentFailedEmail(input: Notice & { invoiceUrl?: string; graceEndsAt: number | null }): MailMessage {
	const keep = input.graceEndsAt
		? `You keep access until ${day(input.graceEndsAt)} while you sort it out.`
		: "Please sort it out soon to keep your access.";
	return compose(
		input,
		"Your payment didn't go through",
		[`We could not take the payment for your ${input.planName} plan. ${keep}`],
		input.invoiceUrl
			? { label: "Pay the invoice", url: input.invoiceUrl }
			: { label: "Update your payment method", url: input.dashboardUrl },
		[`To use another card, open your dashboard and choose "Update payment method": ${input.dashboardUrl}`],
	);
}

/** 3-D Secure on a renewal: the bank wants the customer to confirm the payment. */
export function confirmPaymentEmail(input: Notice & { invoiceUrl?: string }): MailMessage {
	return compose(
		input,
		"Confirm your payment",
		[
			`Your bank asks you to confirm the payment for your ${input.planName} plan. Until you do, the payment is on hold.`,
		],
		{ label: "Confirm the payment", url: input.invoiceUrl ?? input.dashboardUrl },
		[`Your dashboard shows the same: ${input.dashboardUrl}`],
	);
}

export function trialEndingEmail(input: Notice & { trialEndsAt: number; priceDisplay?: string }): MailMessage {
	const charge = input.priceDisplay ? ` at ${input.priceDisplay}` : "";
	return compose(
		input,
		`Your trial ends on ${day(input.trialEndsAt)}`,
		[
			`Your ${input.planName} trial ends on ${day(input.trialEndsAt)}. Your plan then continues${charge} with the payment method on file; there is nothing to do to keep it.`,
			"To change or cancel it, open your dashboard.",
		],
		{ label: "Open your dashboard", url: input.dashboardUrl },
		[],
	);
}
