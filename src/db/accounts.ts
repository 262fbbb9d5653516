// Portal logins, their single-use set-password tokens and their sessions.
// Only hashes of tokens and session ids are stored.
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "./database";
import { clients, passwordTokens, sessions, users } from "./schema";

/** One portal user per client; a second attempt finds the first. */
export async function ensureUser(db: Db, user: { id: string; clientId: string; email: string }, now: number) {
	const [, found] = await db.batch([
		db
			.insert(users)
			.values({ ...user, createdAt: now })
			.onConflictDoNothing({ target: users.clientId }),
		db.select().from(users).where(eq(users.clientId, user.clientId)),
	]);
	return found[0];
}

export function findUserByEmail(db: Db, email: string) {
	return db.select().from(users).where(eq(users.email, email)).get();
}

export function findUserByClient(db: Db, clientId: string) {
	return db.select().from(users).where(eq(users.clientId, clientId)).get();
}

export async function insertPasswordToken(db: Db, tokenHash: string, userId: string, expiresAt: number, now: number) {
	await db.insert(passwordTokens).values({ tokenHash, userId, expiresAt, createdAt: now });
}

export function findPasswordToken(db: Db, tokenHash: string) {
	return db
		.select({
			tokenHash: passwordTokens.tokenHash,
			userId: passwordTokens.userId,
			expiresAt: passwordTokens.expiresAt,
			usedAt: passwordTokens.usedAt,
			email: users.email,
			passwordSetAt: users.passwordSetAt,
		})
		.from(passwordTokens)
		.innerJoin(users, eq(users.id, passwordTokens.userId))
		.where(eq(passwordTokens.tokenHash, tokenHash))
		.get();
}

/**
 * Sets the password and burns the token in one transaction; the guards make a
 * concurrent second use lose (the password is set only once).
 */
export async function setPasswordOnce(
	db: Db,
	tokenHash: string,
	userId: string,
	password: { hash: string; salt: string; iterations: number },
	now: number,
): Promise<boolean> {
	const [burn] = await db.batch([
		db
			.update(passwordTokens)
			.set({ usedAt: now })
			.where(and(eq(passwordTokens.tokenHash, tokenHash), isNull(passwordTokens.usedAt)))
			.returning({ tokenHash: passwordTokens.tokenHash }),
		db
			.update(users)
			.set({
				passwordHash: password.hash,
				passwordSalt: password.salt,
				passwordIterations: password.iterations,
				passwordSetAt: now,
			})
			.where(
				and(
					eq(users.id, userId),
					isNull(users.passwordSetAt),
					sql`exists (select 1 from ${passwordTokens} where ${passwordTokens.tokenHash} = ${tokenHash} and ${passwordTokens.usedAt} = ${now})`,
				),
			),
	]);
	return burn.length === 1;
}

export async function insertSession(db: Db, idHash: string, userId: string, expiresAt: number, now: number) {
	await db.insert(sessions).values({ idHash, userId, expiresAt, createdAt: now });
}

export function findSessionUser(db: Db, idHash: string, now: number) {
	return db
		.select({
			userId: users.id,
			email: users.email,
			name: clients.name,
			crn: clients.crn,
			planCode: clients.planCode,
			subscriptionStatus: clients.subscriptionStatus,
			paymentStatus: clients.paymentStatus,
			stripeCustomerId: clients.stripeCustomerId,
		})
		.from(sessions)
		.innerJoin(users, eq(users.id, sessions.userId))
		.innerJoin(clients, eq(clients.id, users.clientId))
		.where(and(eq(sessions.idHash, idHash), sql`${sessions.expiresAt} > ${now}`))
		.get();
}

export async function deleteSession(db: Db, idHash: string) {
	await db.delete(sessions).where(eq(sessions.idHash, idHash));
}
