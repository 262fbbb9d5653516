// Provisions one job: the login (one per email: a returning customer's new plan
// joins the login they have), then the email. A login without a password gets
// a fresh set-password link; one with a password is told the new plan is active.
// Each step is idempotent, and a lease keeps two deliveries from running at once.
import { appTarget, newDelivery } from "../app-webhooks/announce";
import type { Config } from "../config";
import { derivedToken, sha256Hex } from "../crypto";
import { ensureUser, keepStripeCustomer, loginName } from "../db/accounts";
import { findClientById } from "../db/clients";
import type { Db } from "../db/database";
import { claimJob, completeJob, findJob } from "../db/jobs";
import { insertPasswordToken, markLinkSent } from "../db/links";
import type { ClientRow } from "../db/schema";
import { errorMessage, log } from "../log";
import type { Mailer } from "../mail/mailer";
import { sendPaced } from "../mail/paced-send";
import { planActiveEmail, welcomeEmail } from "../mail/templates";
import { deriveAccess } from "../rules/access";
import { LINK_TTL_MS } from "../rules/links";
import type { ProvisionMessage, WorkQueue } from "../work/messages";

/** Longer than one attempt can take (a 10 s mail timeout, a 2 s paced wait, a few D1 calls). */
export const JOB_LEASE_MS = 60_000;

export interface ProvisionDeps {
	db: Db;
	mailer: Mailer;
	queue: WorkQueue;
	config: Pick<Config, "appUrl" | "supportEmail" | "plans" | "app" | "pastDueGraceMs" | "linkSecret">;
	clock: () => number;
}

/** The operator's app hears of the new customer: `customer.onboarded`, or null while its webhook is off. */
function onboardedFor(client: ClientRow, config: ProvisionDeps["config"], now: number) {
	if (!appTarget(config)) return null;
	const { access, reason } = deriveAccess(client, now, config.pastDueGraceMs);
	const data = { crn: client.crn, email: client.email, name: client.name, plan_code: client.planCode, access, reason };
	return {
		delivery: newDelivery("customer.onboarded", { clientId: client.id, crn: client.crn }, data, now),
		access,
		reason,
		planCode: client.planCode,
	};
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

	// The login's own name (its first purchase's): a later buyer's never reaches the owner.
	const name = user.clientId === client.id ? client.name : await loginName(db, user.id);
	const common = { to: client.email, name, supportEmail: config.supportEmail };
	// One key per run of the job, and a body that is a function of it: every attempt
	// of a run sends the same bytes, so the provider sends it once and a replay of
	// the key is the truth; an operator's retry is a new run with a new key.
	const idempotencyKey = `welcome-${job.id}-${job.generation}`;
	let email: ReturnType<typeof welcomeEmail>;
	let linkHash: string | null = null;
	// Fixed when the plan joined the login (not "has a password now"), so a password
	// set with an earlier attempt's link never changes the body under this key.
	if (user.addedToLoginAt !== null) {
		const planName = config.plans.get(client.planCode)?.name ?? client.planCode;
		email = planActiveEmail({
			...common,
			idempotencyKey,
			crn: client.crn,
			planName,
			loginUrl: `${config.appUrl}/login`,
		});
	} else {
		if (!config.linkSecret)
			throw new PermanentProvisioningError("no STRIPE_SECRET_KEY to derive set-password links from");
		// Derived, not random: only its hash is stored, and every attempt of this run
		// makes the same link again (STRIPE_SECRET_KEY, or the development secret).
		const token = await derivedToken(config.linkSecret, `welcome:${job.id}:${job.generation}`);
		const now = clock();
		linkHash = await sha256Hex(token);
		await insertPasswordToken(
			db,
			{ tokenHash: linkHash, userId: user.id, purpose: "welcome", expiresAt: now + LINK_TTL_MS.welcome },
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
	if (linkHash) await markLinkSent(db, linkHash, clock());
	const tell = onboardedFor(client, config, clock());
	await completeJob(db, job.id, clock(), tell ?? undefined);
	if (tell) {
		// Best effort: an unsent message leaves the delivery overdue, and the reconciler sends it.
		await deps.queue
			.send({ type: "app_webhook", deliveryId: tell.delivery.id }, { contentType: "json" })
			.catch((error) => log("APP_WEBHOOK_RETRY", { delivery_id: tell.delivery.id, error: errorMessage(error) }));
	}
	log("PROVISIONING_COMPLETED", {
		job_id: job.id,
		client_id: client.id,
		transport: deps.mailer.transport,
		returning_login: user.clientId !== client.id,
		mail: sent,
	});
	return "completed";
}
