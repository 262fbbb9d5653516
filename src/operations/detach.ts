// Support removes a plan from a login: anyone can pay with someone else's
// email, and the owner who says "that was not me" gets their login back as it
// was. The plan keeps its payment, subscription and history; it belongs to no
// login afterwards, so the owner's dashboard and emails no longer show it.
import { detachPlan, findUserOfClient } from "../db/accounts";
import { findClientByCrn } from "../db/clients";
import type { Db } from "../db/database";
import { log } from "../log";

export type DetachResult = { ok: true } | { ok: false; reason: "not_found" | "not_attached" | "first_plan" };

export async function detachFromLogin(db: Db, crn: string): Promise<DetachResult> {
	const client = await findClientByCrn(db, crn);
	if (!client) return { ok: false, reason: "not_found" };
	const user = await findUserOfClient(db, client.id);
	if (!user) return { ok: false, reason: "not_attached" };
	// The plan that created the login is the owner's own: there is nothing to remove it from.
	if (user.clientId === client.id || !(await detachPlan(db, client.id))) return { ok: false, reason: "first_plan" };
	log("ADMIN_ACTION", { action: "detach_plan", crn: client.crn, user_id: user.id });
	return { ok: true };
}
