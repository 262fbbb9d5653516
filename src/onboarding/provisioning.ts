// Provisions one job: the login (one per email: a returning customer's new plan
// joins the login they have), then the email. A login without a password gets
// a fresh set-password link; one with a password is told the new plan is active.
// Each step is idempotent, and a lease keeps two deliveries from running at once.
import type { Config } from "../config";
import { randomToken, sha256Hex } from "../crypto";
import { ensureUser, keepStripeCustomer } from "../db/accounts";
import { findClientById } from "../db/clients";
import type { Db } from "../db/database";
import { claimJob, completeJob, findJob } from "../db/jobs";
import { insertPasswordToken } from "../db/links";
import { log } from "../log";
import type { Mailer } from "../mail/mailer";
import { sendPaced } from "../mail/paced-send";
import { planActiveEmail, welcomeEmail } from "../mail/templates";
import { LINK_TTL_MS } from "../rules/links";
import type { ProvisionMessage } from "../work/messages";

/** Longer than one attempt can take (a 10 s mail timeout, a 2 s paced wait, a few D1 calls). */
export const JOB_LEASE_MS = 60_000;

export interface ProvisionDeps {
	db: Db;
	mailer: Mailer;
	config: Pick<Config, "appUrl" | "supportEmail" | "plans">;
	clock: () => number;
}

/** A failure that retrying cannot fix: the job fails at once for an operator to look at. */
export class PermanentProvisioningError extends Error {
	override name = "PermanentProvisioningError";
}

export type ProvisionOutcome = "completed" | "already_done" | "leased";

export async function provisionJob(deps: ProvisionDeps, message: ProvisionMessage): Promise<ProvisionOutcome> {
	const { db, config, clock } = deps;
	const job = await claimJob(db, message.jobId, clock(), JOB_LEASE_MS);
	if (!job) {
		// Done, failed (an operator retry resets it), unknown, or running elsewhere.
		const current = await findJob(db, message.jobId);
		return current && current.leaseUntil !== null && current.leaseUntil > clock() ? "leased" : "already_done";
	}
	log("PROVISIONING_STARTED", { job_id: job.id, client_id: job.clientId, attempt: job.attempts });

	const client = await findClientById(db, job.clientId);
	if (!client) throw new PermanentProvisioningError("client row missing");
	const user = await ensureUser(db, { id: crypto.randomUUID(), clientId: client.id, email: client.email }, clock());
	if (!user) throw new Error("portal user not found after insert");
	await keepStripeCustomer(db, user.id, client.stripeCustomerId);

	const common = { to: client.email, name: client.name, supportEmail: config.supportEmail };
	// The same key on every attempt: the provider sends it once however often we retry.
	const idempotencyKey = `welcome-${job.id}`;
	let email: ReturnType<typeof welcomeEmail>;
	if (user.passwordSetAt !== null) {
		const planName = config.plans.get(client.planCode)?.name ?? client.planCode;
		email = planActiveEmail({
			...common,
			idempotencyKey,
			crn: client.crn,
			planName,
			loginUrl: `${config.appUrl}/login`,
		});
	} else {
		// A fresh link each attempt: only hashes are stored, so an earlier one cannot be
		// re-sent. Earlier links stay valid until a password is set with one of them, so
		// whichever email the customer received works.
		const token = randomToken();
		const now = clock();
		await insertPasswordToken(
			db,
			{ tokenHash: await sha256Hex(token), userId: user.id, purpose: "welcome", expiresAt: now + LINK_TTL_MS.welcome },
			now,
		);
		email = welcomeEmail({
			...common,
			idempotencyKey,
			crn: client.crn,
			link: `${config.appUrl}/set-password?token=${token}`,
			expiresInMs: LINK_TTL_MS.welcome,
		});
	}
	const sent = await sendPaced(deps, email, message.slotAt);
	await completeJob(db, job.id, clock());
	log("PROVISIONING_COMPLETED", {
		job_id: job.id,
		client_id: client.id,
		transport: deps.mailer.transport,
		returning_login: user.clientId !== client.id,
		...(sent === "already_sent" ? { mail: "already_sent" } : {}),
	});
	return "completed";
}
