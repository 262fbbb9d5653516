// The stored facts a plan's access is derived from (src/rules/access.ts), as
// one column set every read of a plan selects: the dashboard, the console and
// the access API see the same plan the same way.
import { clients } from "./schema";

export const PLAN_FACTS = {
	clientId: clients.id,
	crn: clients.crn,
	planCode: clients.planCode,
	mode: clients.mode,
	subscriptionStatus: clients.subscriptionStatus,
	paymentStatus: clients.paymentStatus,
	checkoutStatus: clients.checkoutStatus,
	pastDueSince: clients.pastDueSince,
	refundedAt: clients.refundedAt,
	disputeState: clients.disputeState,
	currentPeriodEnd: clients.currentPeriodEnd,
	openInvoiceUrl: clients.openInvoiceUrl,
	actionRequiredAt: clients.actionRequiredAt,
	stripeCustomerId: clients.stripeCustomerId,
};
