// The onboarding read model's one statement: client, job and portal user for an
// onboarding token hash. Written out rather than built: every open onboarding
// page polls it each second, and drizzle's query building and row mapping
// measurably add to it.
import type { DisputeState, PlanMode } from "../rules/access";
import type { JobState } from "../rules/job-states";
import type { Db } from "./database";

export interface StatusRow {
	clientId: string;
	crn: string;
	checkoutSessionId: string | null;
	checkoutStatus: string;
	paymentStatus: string;
	subscriptionStatus: string | null;
	returnedAt: number | null;
	checkoutOpenAt: number | null;
	stripeCheckedAt: number | null;
	clientUpdatedAt: number;
	planCode: string;
	jobState: JobState | null;
	jobUpdatedAt: number | null;
	passwordSetAt: number | null;
	/** The facts the plan's access is derived from (src/rules/access.ts). */
	mode: PlanMode;
	pastDueSince: number | null;
	refundedAt: number | null;
	disputeState: DisputeState | null;
}

const STATUS_SQL = `select c.id as clientId, c.crn, c.checkout_session_id as checkoutSessionId,
	c.checkout_status as checkoutStatus, c.payment_status as paymentStatus,
	c.subscription_status as subscriptionStatus, c.returned_at as returnedAt, c.checkout_open_at as checkoutOpenAt,
	c.stripe_checked_at as stripeCheckedAt, c.updated_at as clientUpdatedAt, c.plan_code as planCode,
	j.state as jobState, j.updated_at as jobUpdatedAt, u.password_set_at as passwordSetAt,
	c.mode, c.past_due_since as pastDueSince, c.refunded_at as refundedAt, c.dispute_state as disputeState
from clients c
left join jobs j on j.client_id = c.id
left join users u on u.id = c.user_id
where c.onboarding_token_hash = ?`;

export async function statusRowByTokenHash(db: Db, tokenHash: string): Promise<StatusRow | undefined> {
	return (await db.$client.prepare(STATUS_SQL).bind(tokenHash).first<StatusRow>()) ?? undefined;
}
