// The consumer's half of a notice: the email a failed renewal, a payment to
// confirm or an ending trial calls for, to the plan's login. Sent at the lower
// mail priority (never ahead of a welcome email), once per idempotency key,
// and not at all when the plan has moved past it (paid since, canceled).
import type { Config } from "../config";
import { noticeTarget } from "../db/clients";
import type { Db } from "../db/database";
import { log } from "../log";
import type { Mailer } from "../mail/mailer";
import { sendPaced } from "../mail/paced-send";
import { confirmPaymentEmail, paymentFailedEmail, trialEndingEmail } from "../mail/templates";
import type { WorkOf } from "../work/messages";

export interface NoticeDeps {
	db: Db;
	mailer: Mailer;
	config: Pick<Config, "appUrl" | "supportEmail" | "plans" | "pastDueGraceMs">;
	clock: () => number;
}

export async function sendNotice(deps: NoticeDeps, notice: WorkOf<"notice">): Promise<"sent" | "skipped"> {
	const { config } = deps;
	const target = await noticeTarget(deps.db, notice.clientId);
	const skip = (reason: string) => {
		log("NOTICE_SKIPPED", { kind: notice.kind, client_id: notice.clientId, reason });
		return "skipped" as const;
	};
	if (!target) return skip("no_login");
	const paidSince = target.invoiceStatus === "paid" && (target.invoiceEventAt ?? 0) >= notice.eventAt;
	if (notice.kind !== "trial_ending" && paidSince) return skip("paid_since");
	if (notice.kind === "trial_ending" && target.subscriptionStatus === "canceled") return skip("canceled");

	const plan = config.plans.get(target.planCode);
	const common = {
		to: target.email,
		name: target.name,
		supportEmail: config.supportEmail,
		idempotencyKey: notice.key,
		planName: plan?.name ?? target.planCode,
		dashboardUrl: `${config.appUrl}/dashboard`,
	};
	let email: ReturnType<typeof paymentFailedEmail>;
	switch (notice.kind) {
		case "payment_failed":
			email = paymentFailedEmail({
				...common,
				invoiceUrl: notice.url,
				graceEndsAt: target.pastDueSince !== null ? target.pastDueSince + config.pastDueGraceMs : null,
			});
			break;
		case "confirm_payment":
			email = confirmPaymentEmail({ ...common, invoiceUrl: notice.url });
			break;
		case "trial_ending":
			email = trialEndingEmail({ ...common, trialEndsAt: notice.trialEndsAt ?? 0, priceDisplay: plan?.priceDisplay });
			break;
	}
	const sent = await sendPaced(deps, email, notice.slotAt, "later");
	log("NOTICE_SENT", { kind: notice.kind, client_id: notice.clientId, mail: sent });
	return "sent";
}
