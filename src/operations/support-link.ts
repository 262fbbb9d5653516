// Support sends a customer a fresh set-password link by CRN; once the password
// is set the link resets it. Like every link request it only enqueues: the work
// queue makes the link and sends it.
import { findUserOfClient } from "../db/accounts";
import { findClientByCrn } from "../db/clients";
import type { Db } from "../db/database";
import { log } from "../log";
import { linkMessage, type WorkQueue } from "../work/messages";

export type SupportLinkResult =
	| { ok: true; resets_password: boolean }
	| { ok: false; reason: "not_found" | "not_ready" };

export async function sendSupportLink(deps: { db: Db; queue: WorkQueue }, crn: string): Promise<SupportLinkResult> {
	const client = await findClientByCrn(deps.db, crn);
	if (!client) return { ok: false, reason: "not_found" };
	const user = await findUserOfClient(deps.db, client.id);
	if (!user) return { ok: false, reason: "not_ready" };
	await deps.queue.send(linkMessage("support", user.email), { contentType: "json" });
	const resets = user.passwordSetAt !== null;
	log("ADMIN_ACTION", { action: "send_setup_link", crn, resets_password: resets });
	return { ok: true, resets_password: resets };
}
