// The access API's reads: a login's plans by its email, or one plan by CRN,
// each with the stored facts access is derived from. One statement per request.
// Only provisioned plans are found: a plan belongs to an email once it is
// attached to that email's login, which is when the app is told of it.
import { desc, eq } from "drizzle-orm";
import type { Db } from "./database";
import { PLAN_FACTS } from "./plan-facts";
import { clients, users } from "./schema";

const PLAN_ACCESS = { ...PLAN_FACTS, email: users.email };

/** Every plan of the login with this (normalized) email, newest first; none when there is no such login. */
export function plansByEmail(db: Db, email: string) {
	return db
		.select(PLAN_ACCESS)
		.from(clients)
		.innerJoin(users, eq(users.id, clients.userId))
		.where(eq(users.email, email))
		.orderBy(desc(clients.createdAt))
		.all();
}

/** One plan and its login's email, by CRN. */
export function planByCrn(db: Db, crn: string) {
	return db
		.select(PLAN_ACCESS)
		.from(clients)
		.innerJoin(users, eq(users.id, clients.userId))
		.where(eq(clients.crn, crn))
		.get();
}
