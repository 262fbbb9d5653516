// The mail provider's quota (Resend: a daily or monthly number of emails per
// account). Spent, it is a configuration problem no retry fixes: remembered in
// D1 with when it was seen, so /api/admin/health and the doctor fail on it until
// a later send gets through, and every email waits an hour at a time meanwhile.
import { deleteCursor, readCursor, writeCursor } from "../db/cursors";
import type { Db } from "../db/database";
import { log } from "../log";

const CURSOR = "mail.quota";
/** How long an email waits after a quota answer: long enough not to spend the provider's patience. */
export const QUOTA_DEFER_MS = 3_600_000;

export interface QuotaSeen {
	seenAt: number;
	/** The provider's own words for it (daily_quota_exceeded, monthly_quota_exceeded). */
	answer: string;
}

export async function recordQuotaSpent(db: Db, answer: string, now: number): Promise<void> {
	log("CONFIG_ERROR", {
		check: "mail_quota",
		hint: `the mail provider's sending quota is spent (${answer}): emails wait and are sent again hourly; raise the plan's quota`,
	});
	await writeCursor(db, CURSOR, { seenAt: now, answer } satisfies QuotaSeen, now);
}

/** After a send got through: the quota is no longer spent. */
export async function clearQuotaSpent(db: Db): Promise<void> {
	if (await deleteCursor(db, CURSOR)) log("MAIL_QUOTA_CLEARED");
}

export async function quotaSpent(db: Db): Promise<QuotaSeen | null> {
	const raw = (await readCursor(db, CURSOR)) as Partial<QuotaSeen> | undefined;
	return raw && typeof raw.seenAt === "number" ? { seenAt: raw.seenAt, answer: String(raw.answer ?? "") } : null;
}
