// Set-password links on request: "forgot password", "send the email again" from
// the onboarding page, and support's link (src/operations/support-link.ts). The
// request only enqueues; the work queue makes the link and sends it, so a
// request for an unknown email does exactly the work a known one does and the
// answer reveals nothing.
import type { Config } from "../config";
import { derivedToken, sha256Hex } from "../crypto";
import { findLoginByEmail, findUserOfClient } from "../db/accounts";
import type { Db } from "../db/database";
import {
	claimLinkRequest,
	claimLinkSend,
	insertPasswordToken,
	markLinkSent,
	releaseLinkRequest,
	voidResetLinks,
} from "../db/links";
import { statusRowByTokenHash } from "../db/status-read";
import { errorMessage, log } from "../log";
import type { Mailer } from "../mail/mailer";
import { sendPaced } from "../mail/paced-send";
import { linkEmail } from "../mail/templates";
import { LINK_EMAIL_WINDOW_MS, LINK_EMAILS_PER_WINDOW, LINK_TTL_MS, SETUP_LINK_INTERVAL_MS } from "../rules/links";
import { type LinkMessage, linkMessage, type WorkQueue } from "../work/messages";
import { PermanentProvisioningError } from "./provisioning";

export interface LinkRequestDeps {
	db: Db;
	queue: WorkQueue;
	now: number;
}

/** Forgot password: always enqueued, whether or not the email has a login. */
export async function requestPasswordReset(deps: LinkRequestDeps, email: string): Promise<void> {
	await deps.queue.send(linkMessage("reset", email), { contentType: "json" });
}

export type SetupLinkResult =
	| { ok: true }
	| { ok: false; reason: "not_found" | "not_ready" | "password_already_set" | "too_soon" | "queue_unavailable" };

/** "Send the email again" from the onboarding page, by its token. */
export async function requestSetupLink(deps: LinkRequestDeps, onboardingToken: string): Promise<SetupLinkResult> {
	const row = await statusRowByTokenHash(deps.db, await sha256Hex(onboardingToken));
	if (!row) return { ok: false, reason: "not_found" };
	const user = await findUserOfClient(deps.db, row.clientId);
	if (!user) return { ok: false, reason: "not_ready" };
	if (user.passwordSetAt !== null) return { ok: false, reason: "password_already_set" };
	if (!(await claimLinkRequest(deps.db, user.id, deps.now, SETUP_LINK_INTERVAL_MS))) {
		return { ok: false, reason: "too_soon" };
	}
	try {
		await deps.queue.send(linkMessage("setup", user.email), { contentType: "json" });
	} catch (error) {
		// Nothing was sent: give the minute back, so asking again in a moment works.
		await releaseLinkRequest(deps.db, user.id, deps.now, user.linkRequestedAt);
		log("WORK_ENQUEUE_FAILED", { purpose: "setup", error: errorMessage(error) });
		return { ok: false, reason: "queue_unavailable" };
	}
	return { ok: true };
}

export interface LinkSendDeps {
	db: Db;
	mailer: Mailer;
	config: Pick<Config, "appUrl" | "supportEmail" | "linkSecret">;
	clock: () => number;
}

/**
 * The consumer's half: make the link and send it. An email with no login sends
 * nothing; nor does a login over its hourly cap, which is claimed here, in D1,
 * before any link is made (the route's own limits count per location only).
 */
export async function sendRequestedLink(
	deps: LinkSendDeps,
	message: LinkMessage,
): Promise<"sent" | "no_login" | "capped"> {
	const { db, config, clock } = deps;
	const user = await findLoginByEmail(db, message.email);
	const emailDomain = message.email.split("@")[1];
	if (!user) {
		log("LINK_SKIPPED", { purpose: message.purpose, reason: "no_login", email_domain: emailDomain });
		return "no_login";
	}
	const now = clock();
	const claim = { requestId: message.requestId, userId: user.id, now, windowMs: LINK_EMAIL_WINDOW_MS };
	if (!(await claimLinkSend(db, { ...claim, max: LINK_EMAILS_PER_WINDOW }))) {
		// Dropped without a word to the asker: the route already answered the same 202.
		log("LINK_CAPPED", { purpose: message.purpose, user_id: user.id, email_domain: emailDomain });
		return "capped";
	}
	if (!config.linkSecret)
		throw new PermanentProvisioningError("no STRIPE_SECRET_KEY to derive set-password links from");
	// Derived from the request: every retry of this request sends the same email under the same key.
	const token = await derivedToken(config.linkSecret, `link:${message.requestId}`);
	const tokenHash = await sha256Hex(token);
	const ttl = LINK_TTL_MS[message.purpose];
	if (message.purpose === "reset") await voidResetLinks(db, user.id, tokenHash, now);
	await insertPasswordToken(db, { tokenHash, userId: user.id, purpose: message.purpose, expiresAt: now + ttl }, now);
	const sent = await sendPaced(
		deps,
		linkEmail({
			to: user.email,
			name: user.name,
			supportEmail: config.supportEmail,
			idempotencyKey: `${message.purpose}-${message.requestId}`,
			purpose: message.purpose,
			link: `${config.appUrl}/set-password?token=${token}`,
			expiresInMs: ttl,
		}),
		message.slotAt,
		// Never ahead of a paying customer's welcome email.
		"later",
	);
	await markLinkSent(db, tokenHash, clock());
	log("LINK_SENT", { purpose: message.purpose, user_id: user.id, mail: sent });
	return "sent";
}
