// Provisions one job: portal user, single-use set-password token, welcome
// email. Each step is idempotent, so a redelivered message never creates a
// second user or sends a second email. Collaborators are passed in.
import { randomToken, sha256Hex } from "../crypto";
import { ensureUser, insertPasswordToken } from "../db/accounts";
import { findClientById } from "../db/clients";
import type { Db } from "../db/database";
import { completeJob, startJob } from "../db/jobs";
import { errorMessage, log } from "../log";
import type { Mailer } from "../mail/mailer";
import { welcomeEmail } from "../mail/welcome";
import type { ProvisionMessage } from "./provisioning-message";

export const PASSWORD_TOKEN_TTL_HOURS = 72;

export interface ProvisionDeps {
	db: Db;
	mailer: Mailer;
	appUrl: string;
	supportEmail: string;
	now: () => number;
}

/** A failure that retrying cannot fix: the job fails at once for an operator to look at. */
export class PermanentProvisioningError extends Error {
	override name = "PermanentProvisioningError";
}

export type ProvisionOutcome = "completed" | "already_done";

export async function provisionJob(deps: ProvisionDeps, message: ProvisionMessage): Promise<ProvisionOutcome> {
	const { db } = deps;
	const job = await startJob(db, message.jobId, deps.now());
	// Done, failed (an operator retry resets it) or unknown: nothing to do.
	if (!job) return "already_done";
	log("PROVISIONING_STARTED", { job_id: job.id, client_id: job.clientId, attempt: job.attempts });

	const client = await findClientById(db, job.clientId);
	if (!client) throw new PermanentProvisioningError("client row missing");

	let user: Awaited<ReturnType<typeof ensureUser>>;
	try {
		user = await ensureUser(db, { id: crypto.randomUUID(), clientId: client.id, email: client.email }, deps.now());
	} catch (error) {
		if (/users\.email/.test(errorMessage(error))) {
			throw new PermanentProvisioningError("another client already has a portal user with this email");
		}
		throw error;
	}
	if (!user) throw new Error("portal user not found after insert");

	// A fresh token each attempt: only hashes are stored, so an earlier one cannot
	// be re-sent. Earlier tokens stay valid until the password is set once.
	const token = randomToken();
	const now = deps.now();
	await insertPasswordToken(db, await sha256Hex(token), user.id, now + PASSWORD_TOKEN_TTL_HOURS * 3_600_000, now);

	await deps.mailer.send(
		welcomeEmail({
			to: client.email,
			name: client.name,
			crn: client.crn,
			link: `${deps.appUrl}/set-password?token=${token}`,
			expiresHours: PASSWORD_TOKEN_TTL_HOURS,
			supportEmail: deps.supportEmail,
			idempotencyKey: `welcome-${job.id}`,
		}),
	);
	await completeJob(db, job.id, deps.now());
	log("PROVISIONING_COMPLETED", { job_id: job.id, client_id: client.id, transport: deps.mailer.transport });
	return "completed";
}
