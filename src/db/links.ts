// Set-password links: stored as hashes of their tokens, each for one login and
// one purpose; how they are minted, found and listed, and the per-login gate on
// "send the email again". Using one sets the password (accounts.ts).
import { and, desc, eq, isNull, lt, or } from "drizzle-orm";
import type { LinkPurpose } from "../rules/links";
import type { Db } from "./database";
import { passwordTokens, users } from "./schema";

export async function insertPasswordToken(
	db: Db,
	token: { tokenHash: string; userId: string; purpose: LinkPurpose; expiresAt: number },
	now: number,
) {
	await db.insert(passwordTokens).values({ ...token, createdAt: now });
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

/** When each link of a login was sent and used; never the token. */
export function linksOfUser(db: Db, userId: string, limit = 20) {
	return db
		.select({
			purpose: passwordTokens.purpose,
			createdAt: passwordTokens.createdAt,
			expiresAt: passwordTokens.expiresAt,
			usedAt: passwordTokens.usedAt,
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
