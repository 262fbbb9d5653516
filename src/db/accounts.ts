// Portal logins (one per email), their single-use set-password links and their
// sessions. Only hashes of link tokens and session ids are stored.
import { and, desc, eq, gt, isNull, ne, sql } from "drizzle-orm";
import type { Db } from "./database";
import { PLAN_FACTS } from "./plan-facts";
import { clients, passwordTokens, sessions, users } from "./schema";

/**
 * The login for this client's email, created if there is none, and the client
 * attached to it. One login per email (unique index): a returning customer's
 * second plan, or two purchases paid at once, still end with one login.
 */
export async function ensureUser(db: Db, user: { id: string; clientId: string; email: string }, now: number) {
	const [, , found] = await db.batch([
		db
			.insert(users)
			.values({ ...user, createdAt: now })
			.onConflictDoNothing({ target: users.email }),
		db
			.update(clients)
			.set({
				userId: sql`(select ${users.id} from ${users} where ${users.email} = ${user.email})`,
				// Decided once, when the plan joins: a password set later changes nothing.
				addedToLoginAt: sql`(select case when ${users.passwordSetAt} is not null then ${now} end from ${users} where ${users.email} = ${user.email})`,
			})
			.where(and(eq(clients.id, user.clientId), isNull(clients.userId))),
		db
			.select({ user: users, addedToLoginAt: clients.addedToLoginAt })
			.from(clients)
			.innerJoin(users, eq(users.id, clients.userId))
			.where(eq(clients.id, user.clientId)),
	]);
	const row = found[0];
	return row ? { ...row.user, addedToLoginAt: row.addedToLoginAt } : undefined;
}

export function findUserByEmail(db: Db, email: string) {
	return db.select().from(users).where(eq(users.email, email)).get();
}

/**
 * The login for an email with its name: the one its first purchase gave (the
 * client that created it). A later purchase with the same email may be someone
 * else's, so its name never greets the owner.
 */
export async function findLoginByEmail(db: Db, email: string) {
	const row = await db
		.select({ user: users, name: clients.name })
		.from(users)
		.leftJoin(clients, eq(clients.id, users.clientId))
		.where(eq(users.email, email))
		.get();
	return row ? { ...row.user, name: row.name ?? "" } : undefined;
}

/** The name a login's first purchase gave it. */
export async function loginName(db: Db, userId: string): Promise<string> {
	const row = await db
		.select({ name: clients.name })
		.from(users)
		.innerJoin(clients, eq(clients.id, users.clientId))
		.where(eq(users.id, userId))
		.get();
	return row?.name ?? "";
}

/**
 * Support removes a plan from a login (bought by someone else with the
 * owner's email): the plan keeps its payment and job but belongs to no login.
 * Never the plan that created the login. True when the plan left the login.
 */
export async function detachPlan(db: Db, clientId: string): Promise<boolean> {
	const rows = await db
		.update(clients)
		.set({ userId: null })
		.where(
			and(
				eq(clients.id, clientId),
				sql`${clients.userId} is not null`,
				sql`${clients.id} != (select ${users.clientId} from ${users} where ${users.id} = ${clients.userId})`,
			),
		)
		.returning({ id: clients.id });
	return rows.length > 0;
}

/** The login a client's plan belongs to, once it is provisioned. */
export async function findUserOfClient(db: Db, clientId: string) {
	const row = await db
		.select({ user: users })
		.from(clients)
		.innerJoin(users, eq(users.id, clients.userId))
		.where(eq(clients.id, clientId))
		.get();
	return row?.user;
}

/**
 * Sets the password with a link, in one transaction. Every statement is guarded
 * by "this link is still unused and unexpired", and the link is burnt last, so
 * of two concurrent uses exactly one stores its password and the other changes
 * nothing. The winner also ends every session of the login and voids its other
 * outstanding links. True only when this call stored the password.
 */
export async function setPasswordWithLink(
	db: Db,
	tokenHash: string,
	userId: string,
	password: { hash: string; salt: string; iterations: number },
	now: number,
): Promise<boolean> {
	const linkUsable = sql`exists (select 1 from ${passwordTokens} where ${passwordTokens.tokenHash} = ${tokenHash}
		and ${passwordTokens.userId} = ${userId} and ${passwordTokens.usedAt} is null and ${passwordTokens.expiresAt} > ${now})`;
	const [stored] = await db.batch([
		db
			.update(users)
			.set({
				passwordHash: password.hash,
				passwordSalt: password.salt,
				passwordIterations: password.iterations,
				passwordSetAt: now,
			})
			.where(and(eq(users.id, userId), linkUsable))
			.returning({ id: users.id }),
		db.delete(sessions).where(and(eq(sessions.userId, userId), linkUsable)),
		db
			.update(passwordTokens)
			.set({ usedAt: now })
			.where(
				and(
					eq(passwordTokens.userId, userId),
					ne(passwordTokens.tokenHash, tokenHash),
					isNull(passwordTokens.usedAt),
					linkUsable,
				),
			),
		db
			.update(passwordTokens)
			.set({ usedAt: now })
			.where(and(eq(passwordTokens.tokenHash, tokenHash), isNull(passwordTokens.usedAt))),
	]);
	return stored.length === 1;
}

export async function insertSession(db: Db, idHash: string, userId: string, expiresAt: number, now: number) {
	await db.insert(sessions).values({ idHash, userId, expiresAt, createdAt: now });
}

export function findSessionUser(db: Db, idHash: string, now: number) {
	return db
		.select({ userId: users.id, email: users.email, stripeCustomerId: users.stripeCustomerId })
		.from(sessions)
		.innerJoin(users, eq(users.id, sessions.userId))
		.where(and(eq(sessions.idHash, idHash), gt(sessions.expiresAt, now)))
		.get();
}

/** Every plan a login holds with the facts its access is derived from, newest first. */
export function plansOfUser(db: Db, userId: string) {
	return db
		.select({ ...PLAN_FACTS, name: clients.name, createdAt: clients.createdAt, addedToLoginAt: clients.addedToLoginAt })
		.from(clients)
		.where(eq(clients.userId, userId))
		.orderBy(desc(clients.createdAt))
		.all();
}

export async function deleteSession(db: Db, idHash: string) {
	await db.delete(sessions).where(eq(sessions.idHash, idHash));
}

/** Housekeeping: expired sessions, and links used or expired a day ago. Bounded per call. */
export async function deleteExpiredAccountsData(db: Db, now: number, limit: number) {
	const dayAgo = now - 24 * 3_600_000;
	const [s, t] = await db.batch([
		db
			.delete(sessions)
			.where(
				sql`${sessions.idHash} in (select ${sessions.idHash} from ${sessions} where ${sessions.expiresAt} <= ${now} limit ${limit})`,
			)
			.returning({ id: sessions.idHash }),
		db
			.delete(passwordTokens)
			.where(
				sql`${passwordTokens.tokenHash} in (select ${passwordTokens.tokenHash} from ${passwordTokens}
				where ${passwordTokens.expiresAt} <= ${dayAgo} or ${passwordTokens.usedAt} <= ${dayAgo} limit ${limit})`,
			)
			.returning({ id: passwordTokens.tokenHash }),
	]);
	return { sessions: s.length, links: t.length };
}

/** The Stripe customer a login keeps from its first purchase, for its next checkout. */
export async function findStripeCustomerOfLogin(db: Db, email: string): Promise<string | undefined> {
	const row = await db.select({ customer: users.stripeCustomerId }).from(users).where(eq(users.email, email)).get();
	return row?.customer ?? undefined;
}

/** Keeps the first purchase's Stripe customer on the login (later ones never replace it). */
export async function keepStripeCustomer(db: Db, userId: string, customerId: string | null) {
	if (!customerId) return;
	await db
		.update(users)
		.set({ stripeCustomerId: customerId })
		.where(and(eq(users.id, userId), isNull(users.stripeCustomerId)));
}
