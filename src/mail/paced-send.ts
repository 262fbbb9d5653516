// Sends at the provider's rate. A launch brings bursts far above what a mail
// provider accepts (Resend: a few per second); sending as fast as messages
// arrive would turn most of them into 429s and retries. Each send takes the
// next slot of a shared gate: a slot within a moment is waited for, a later
// one defers the message to it, and a 429 holds the gate for its Retry-After.
import type { Db } from "../db/database";
import { claimSlot, claimSlotIfIdle, holdUntil } from "../db/rate-gates";
import { type Mailer, type MailMessage, MailSendError, type SendResult } from "./mailer";
import { clearQuotaSpent, QUOTA_DEFER_MS, recordQuotaSpent } from "./quota";

const GATE = "mail";
/** Waiting longer than this inside a consumer costs wall time; the queue's delay is free. */
export const MAX_INLINE_WAIT_MS = 2_000;
/** A deferred message may come back a little early; its reserved slot still counts. */
const SLOT_TOLERANCE_MS = 1_000;

/** Not now: send again at `until` (the message's reserved slot). Never a failure. */
export class MailDeferred extends Error {
	override name = "MailDeferred";
	constructor(
		readonly until: number,
		readonly reason: "paced" | "rate_limited" | "quota",
	) {
		super(`mail deferred (${reason}) until ${new Date(until).toISOString()}`);
	}
}

export interface PacedSendDeps {
	db: Db;
	mailer: Mailer;
	clock: () => number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * first: a paying customer's welcome email, which takes the next slot however
 * long the line. later: every other email (links, notices), which only takes a
 * slot while no backlog waits, so it never delays a welcome email.
 */
export type MailPriority = "first" | "later";

/**
 * Sends `message`, keeping the provider's rate. `reservedSlot` is the slot a
 * deferred message was given; while it is still ahead (or only just passed) it
 * is used instead of claiming a new one, so a deferred message keeps its place.
 */
export async function sendPaced(
	deps: PacedSendDeps,
	message: MailMessage,
	reservedSlot?: number,
	priority: MailPriority = "first",
): Promise<SendResult> {
	const { db, mailer, clock } = deps;
	const rate = mailer.ratePerSecond;
	if (rate && rate > 0) {
		const now = clock();
		const intervalMs = 1000 / rate;
		// A reserved slot holds while it is ahead or only just passed. One that a busy
		// queue delivered long after has gone to other sends: taking it now would send on
		// top of them (a burst of such messages is a burst of 429s), so take a fresh one.
		const reserved =
			reservedSlot !== undefined && reservedSlot >= now - intervalMs && reservedSlot <= now + SLOT_TOLERANCE_MS;
		let slot: number;
		if (reserved) slot = reservedSlot;
		else if (priority === "first") slot = await claimSlot(db, GATE, now, intervalMs);
		else {
			const claim = await claimSlotIfIdle(db, GATE, now, intervalMs, intervalMs);
			// Back when the line has cleared, to try again (not a reserved slot: welcome emails may still come first).
			if ("busyUntil" in claim) throw new MailDeferred(claim.busyUntil, "paced");
			slot = claim.slot;
		}
		if (slot - now > MAX_INLINE_WAIT_MS) throw new MailDeferred(slot, "paced");
		if (slot > now) await sleep(slot - now);
	}
	let result: SendResult;
	try {
		result = await mailer.send(message);
	} catch (error) {
		if (error instanceof MailSendError && error.failure === "quota") {
			await recordQuotaSpent(db, error.message, clock());
			throw new MailDeferred(clock() + QUOTA_DEFER_MS, "quota");
		}
		if (!(error instanceof MailSendError) || error.failure !== "rate_limited") throw error;
		const until = clock() + (error.retryAfterSeconds ?? 1) * 1000;
		if (!rate) throw new MailDeferred(until, "rate_limited");
		await holdUntil(db, GATE, until);
		throw new MailDeferred(await claimSlot(db, GATE, until, 1000 / rate), "rate_limited");
	}
	// Only a provider has a quota; the outbox never spends one.
	if (mailer.transport !== "outbox") await clearQuotaSpent(db);
	return result;
}
