// What support sees of a customer: one plan (client) with its payment,
// provisioning job, login, the login's other plans, webhook ledger, emails and
// links; and finding customers by CRN or email. One declared snake_case wire
// shape, used by GET /api/admin/clients/:crn and POST /api/admin/search.
import { findUserOfClient, plansOfUser } from "../db/accounts";
import { findClientByCrn } from "../db/clients";
import type { Db } from "../db/database";
import { findJobByClient } from "../db/jobs";
import { linksOfUser } from "../db/links";
import { outboxFor } from "../db/outbox";
import type { JobRow } from "../db/schema";
import { findClients, ledgerForClient } from "../db/support";
import { deriveSetupStatus, type SetupStatus } from "../onboarding/setup-status";
import { type Access, type AccessReason, type AccessVerdict, deriveAccess } from "../rules/access";
import { type JobState, type ProvisioningState, provisioningState } from "../rules/job-states";
import type { LinkPurpose } from "../rules/links";

export interface JobView {
	id: string;
	client_id: string;
	state: JobState;
	provisioning_state: ProvisioningState;
	attempts: number;
	requeues: number;
	last_error: string | null;
	/** What confirmed the payment: webhook | sync | reconcile. */
	source: string;
	created_at: number;
	updated_at: number;
	completed_at: number | null;
}

export interface CustomerView {
	client: {
		id: string;
		crn: string;
		email: string;
		name: string;
		plan_code: string;
		checkout_session_id: string | null;
		checkout_status: string;
		payment_status: string;
		subscription_id: string | null;
		subscription_status: string | null;
		access: Access;
		reason: AccessReason;
		stripe_customer_id: string | null;
		created_at: number;
	};
	status: SetupStatus;
	job: JobView | null;
	login: { id: string; email: string; password_set_at: number | null } | null;
	/** This plan joined a login that already had a password, then (a later purchase with the owner's email). */
	added_to_login_at: number | null;
	/** Support may remove this plan from its login: it is attached and not the plan that created the login. */
	detachable: boolean;
	/** Every plan of the login, this one included; newest first. */
	plans: { crn: string; plan_code: string; subscription_status: string | null; access: Access; reason: AccessReason }[];
	events: { id: string; type: string; event_created: number; received_at: number }[];
	emails: { id: string; subject: string; created_at: number }[];
	/**
	 * When each link was made, sent (the provider took its email; null while
	 * deferred or after it failed), used and expires: never the token.
	 */
	links: {
		purpose: LinkPurpose;
		created_at: number;
		sent_at: number | null;
		expires_at: number;
		used_at: number | null;
	}[];
}

export interface CustomerSearchResult {
	crn: string;
	email: string;
	name: string;
	plan_code: string;
	created_at: number;
	subscription_status: string | null;
	access: Access;
	reason: AccessReason;
	provisioning_state: ProvisioningState;
}

/** The time and grace period a plan's access is derived at. */
export interface AccessClock {
	now: number;
	graceMs: number;
}

function verdictOf(facts: Parameters<typeof deriveAccess>[0], at: AccessClock): AccessVerdict {
	const { access, reason } = deriveAccess(facts, at.now, at.graceMs);
	return { access, reason };
}

export function jobView(
	job: Omit<JobRow, "leaseUntil" | "notBefore" | "queuedAt" | "checkoutSessionId" | "generation">,
): JobView {
	return {
		id: job.id,
		client_id: job.clientId,
		state: job.state,
		provisioning_state: provisioningState(job.state),
		attempts: job.attempts,
		requeues: job.requeues,
		last_error: job.lastError,
		source: job.source,
		created_at: job.createdAt,
		updated_at: job.updatedAt,
		completed_at: job.completedAt,
	};
}

export async function customerView(db: Db, crn: string, at: AccessClock): Promise<CustomerView | null> {
	const client = await findClientByCrn(db, crn.toUpperCase());
	if (!client) return null;
	const [job, user, events, emails] = await Promise.all([
		findJobByClient(db, client.id),
		findUserOfClient(db, client.id),
		ledgerForClient(db, client.id),
		outboxFor(db, client.email),
	]);
	const [links, plans] = user ? await Promise.all([linksOfUser(db, user.id), plansOfUser(db, user.id)]) : [[], []];
	return {
		client: {
			id: client.id,
			crn: client.crn,
			email: client.email,
			name: client.name,
			plan_code: client.planCode,
			checkout_session_id: client.checkoutSessionId,
			checkout_status: client.checkoutStatus,
			payment_status: client.paymentStatus,
			subscription_id: client.subscriptionId,
			subscription_status: client.subscriptionStatus,
			...verdictOf(client, at),
			stripe_customer_id: client.stripeCustomerId,
			created_at: client.createdAt,
		},
		status: deriveSetupStatus({
			...client,
			jobState: job?.state ?? null,
			passwordSetAt: user?.passwordSetAt ?? null,
		}),
		job: job ? jobView(job) : null,
		login: user ? { id: user.id, email: user.email, password_set_at: user.passwordSetAt } : null,
		added_to_login_at: client.addedToLoginAt,
		detachable: user !== undefined && user.clientId !== client.id,
		plans: plans.map((p) => ({
			crn: p.crn,
			plan_code: p.planCode,
			subscription_status: p.subscriptionStatus,
			...verdictOf(p, at),
		})),
		events: events.map((e) => ({
			id: e.id,
			type: e.type,
			event_created: e.eventCreated,
			received_at: e.receivedAt,
		})),
		emails: emails.map((m) => ({ id: m.id, subject: m.subject, created_at: m.createdAt })),
		links: links.map((l) => ({
			purpose: l.purpose,
			created_at: l.createdAt,
			sent_at: l.sentAt,
			expires_at: l.expiresAt,
			used_at: l.usedAt,
		})),
	};
}

const CRN = /^CRN-[A-Z0-9]{4}-[A-Z0-9]{4}$/;
const MAX_QUERY_LENGTH = 254;

export type SearchResult =
	| { ok: true; results: CustomerSearchResult[] }
	| { ok: false; reason: "invalid_query" | "not_found" };

/**
 * CRN exactly (any case), or an email as typed and lowercased (checkout stores
 * it lowercased). Newest plan first.
 */
export async function searchCustomers(db: Db, query: string, at: AccessClock): Promise<SearchResult> {
	const q = query.trim();
	if (!q || q.length > MAX_QUERY_LENGTH) return { ok: false, reason: "invalid_query" };
	let by: { crn: string } | { emails: string[] };
	if (CRN.test(q.toUpperCase())) by = { crn: q.toUpperCase() };
	else if (q.includes("@")) by = { emails: [...new Set([q, q.toLowerCase()])] };
	else return { ok: false, reason: "invalid_query" };
	const rows = await findClients(db, by);
	if (rows.length === 0) return { ok: false, reason: "not_found" };
	return {
		ok: true,
		results: rows.map((row) => ({
			crn: row.crn,
			email: row.email,
			name: row.name,
			plan_code: row.planCode,
			created_at: row.createdAt,
			subscription_status: row.subscriptionStatus,
			...verdictOf(row, at),
			provisioning_state: provisioningState(row.jobState),
		})),
	};
}
