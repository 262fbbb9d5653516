// Set-password links: stored as hashes of their tokens, each for one login and
// one purpose; how they are minted, found and listed, and the per-login gate on
// "send the email again". Using one sets the password (accounts.ts).
import { and, desc, eq, isNull, lt, ne, or, sql } from "drizzle-orm";
import type { LinkPurpose } from "../rules/links";
import type { Db } from "./database";
import { passwordTokens, users } from "./schema";
import { linkSends } from "./schema-service";

export async function insertPasswordToken(
	db: Db,
	token: { tokenHash: string; userId: string; purpose: LinkPurpose; expiresAt: number },
	now: number,
) {
	// A retry derives the same token: the row from its first attempt stands.
	await db
		.insert(passwordTokens)
		.values({ ...token, createdAt: now })
		.onConflictDoNothing({ target: passwordTokens.tokenHash });
}

export function findPasswordToken(db: Db, tokenHash: string) {
	return db
		.select({
			userId: passwordTokens.userId,
			purpose: passwordTokens.purpose,
			expiresAt: passwordTokens.expiresAt,
			usedAt: passwordTokens.usedAt,
			email: users.email,
		})
		.from(passwordTokens)
		.innerJoin(users, eq(users.id, passwordTokens.userId))
		.where(eq(passwordTokens.tokenHash, tokenHash))
		.get();
}

/** Undoes a claim whose message never reached the queue: the login's previous request time is back. */
export async function releaseLinkRequest(db: Db, userId: string, claimedAt: number, previous: number | null) {
	await db
		.update(users)
		.set({ linkRequestedAt: previous })
		.where(and(eq(users.id, userId), eq(users.linkRequestedAt, claimedAt)));
}

/** The provider took this link's email: from now on the console lists it as sent. */
export async function markLinkSent(db: Db, tokenHash: string, now: number) {
	await db
		.update(passwordTokens)
		.set({ sentAt: now })
		.where(and(eq(passwordTokens.tokenHash, tokenHash), isNull(passwordTokens.sentAt)));
}

/**
 * A new reset link voids the login's earlier unused reset links: only the
 * newest "forgot password" email works, so an older one lying in an inbox
 * (or forwarded) opens nothing.
 */
export async function voidResetLinks(db: Db, userId: string, keepHash: string, now: number) {
	await db
		.update(passwordTokens)
		.set({ usedAt: now })
		.where(
			and(
				eq(passwordTokens.userId, userId),
				eq(passwordTokens.purpose, "reset"),
				isNull(passwordTokens.usedAt),
				// A retry of this request derives this same link: it must keep working.
				ne(passwordTokens.tokenHash, keepHash),
			),
		);
}

/** When each link of a login was made, sent and used; never the token. */
export function linksOfUser(db: Db, userId: string, limit = 20) {
	return db
		.select({
			purpose: passwordTokens.purpose,
			createdAt: passwordTokens.createdAt,
			expiresAt: passwordTokens.expiresAt,
			usedAt: passwordTokens.usedAt,
			sentAt: passwordTokens.sentAt,
		})
		.from(passwordTokens)
		.where(eq(passwordTokens.userId, userId))
		.orderBy(desc(passwordTokens.createdAt))
		.limit(limit)
		.all();
}

/** "Send the email again": at most one per interval per login; true when this request may send. */
export async function claimLinkRequest(db: Db, userId: string, now: number, intervalMs: number) {
	const row = await db
		.update(users)
		.set({ linkRequestedAt: now })
		.where(and(eq(users.id, userId), or(isNull(users.linkRequestedAt), lt(users.linkRequestedAt, now - intervalMs))))
		.returning({ id: users.id })
		.get();
	return row !== undefined;
}

// One statement, so two consumers claiming at once cannot both take the last
// place: the insert happens only while the login is under its cap.
const CLAIM_SEND_SQL = `insert into link_sends (request_id, user_id, created_at)
select ?1, ?2, ?3 where (select count(*) from link_sends where user_id = ?2 and created_at > ?3 - ?4) < ?5
on conflict (request_id) do nothing`;

/**
 * A place under the login's hourly cap for this request's email; true when it
 * may send. Keyed by the request, so a redelivered or deferred message keeps
 * the place it already has instead of taking another.
 */
export async function claimLinkSend(
	db: Db,
	claim: { requestId: string; userId: string; now: number; windowMs: number; max: number },
): Promise<boolean> {
	const [, held] = await db.$client.batch([
		db.$client.prepare(CLAIM_SEND_SQL).bind(claim.requestId, claim.userId, claim.now, claim.windowMs, claim.max),
		db.$client.prepare("select 1 as held from link_sends where request_id = ?1").bind(claim.requestId),
	]);
	return (held?.results.length ?? 0) > 0;
}

/** Housekeeping: claims older than the window count toward nothing. Bounded per call. */
export async function deleteOldLinkSends(db: Db, before: number, limit: number): Promise<number> {
	const rows = await db
		.delete(linkSends)
		.where(
			sql`${linkSends.requestId} in (select ${linkSends.requestId} from ${linkSends} where ${linkSends.createdAt} < ${before} limit ${limit})`,
		)
		.returning({ id: linkSends.requestId });
	return rows.length;
}
