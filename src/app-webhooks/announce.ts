// Telling the operator's app: `customer.onboarded` when provisioning completes,
// `access.changed` when a plan's access, reason or plan code differs from what
// the app was last told, and sending each delivery on its schedule. Each step
// is idempotent; a receiver that is down delays nothing but its own deliveries.
import type { Config } from "../config";
import { announce, findDelivery, type NewDelivery, planToAnnounce, recordAttempt } from "../db/app-deliveries";
import type { Db } from "../db/database";
import { log } from "../log";
import { deriveAccess } from "../rules/access";
import { type AppEventType, nextAttemptDelaySeconds } from "../rules/app-deliveries";
import type { WorkQueue } from "../work/messages";
import { attemptDelivery } from "./deliver";

export interface AppTarget {
	url: string;
	secret: string;
}

/** Where deliveries go, or null while the app's webhook is not (well) configured. */
export function appTarget(config: Pick<Config, "app">): AppTarget | null {
	const { webhookUrl, webhookSecret } = config.app;
	return webhookUrl && webhookSecret ? { url: webhookUrl, secret: webhookSecret } : null;
}

/** A delivery's row: its id is the `webhook-id`, and its body is signed as is on every attempt. */
export function newDelivery(
	type: AppEventType,
	plan: { clientId: string; crn: string },
	data: Record<string, string | null>,
	now: number,
): NewDelivery {
	return {
		id: `msg_${crypto.randomUUID().replace(/-/g, "")}`,
		type,
		clientId: plan.clientId,
		crn: plan.crn,
		payload: JSON.stringify({ type, timestamp: new Date(now).toISOString(), data }),
	};
}

export interface AnnounceDeps {
	db: Db;
	queue: WorkQueue;
	config: Pick<Config, "app" | "pastDueGraceMs">;
	clock: () => number;
}

/**
 * The consumer's half of a plan's outbox marker: derive the plan's access now
 * and, if the app was told otherwise, record an `access.changed` delivery and
 * send it. A plan not yet onboarded is left to `customer.onboarded`.
 */
export async function syncAccess(deps: AnnounceDeps, clientId: string): Promise<"sent" | "unchanged" | "skipped"> {
	const { db } = deps;
	const now = deps.clock();
	const plan = await planToAnnounce(db, clientId);
	if (!plan) return "skipped";
	const { access, reason } = deriveAccess(plan, now, deps.config.pastDueGraceMs);
	const told = { access, reason, planCode: plan.planCode };
	const target = appTarget(deps.config);
	const changed =
		plan.announcedAccess !== access || plan.announcedReason !== reason || plan.announcedPlanCode !== plan.planCode;
	if (!target || !plan.userId || !plan.email || !changed) {
		await announce(db, clientId, told, plan.accessDirtyAt, null, now);
		// Recorded as told even when nothing goes out: no webhook configured, or a plan not onboarded yet.
		return changed ? "skipped" : "unchanged";
	}
	const delivery = newDelivery(
		"access.changed",
		plan,
		{
			crn: plan.crn,
			email: plan.email,
			plan_code: plan.planCode,
			access,
			reason,
			previous_access: plan.announcedAccess,
		},
		now,
	);
	await announce(db, clientId, told, plan.accessDirtyAt, delivery, now);
	await deps.queue.send({ type: "app_webhook", deliveryId: delivery.id }, { contentType: "json" });
	log("APP_WEBHOOK_QUEUED", { delivery_id: delivery.id, type: delivery.type, crn: plan.crn, access });
	return "sent";
}

/**
 * One attempt of a delivery. Failed attempts come back on the schedule (a
 * fresh message with a delay, so the queue's own retries stay for crashes);
 * after the last one the delivery is `failed` until "Send again".
 */
export async function deliverToApp(deps: AnnounceDeps & { fetcher?: typeof fetch }, deliveryId: string): Promise<void> {
	const { db } = deps;
	const delivery = await findDelivery(db, deliveryId);
	// Delivered, failed, or unknown: a stray copy of its message changes nothing.
	if (delivery?.status !== "pending") return;
	const target = appTarget(deps.config);
	const now = deps.clock();
	const fields = { delivery_id: delivery.id, type: delivery.type, crn: delivery.crn, attempt: delivery.attempts + 1 };
	const result = target
		? await attemptDelivery(target, delivery, now, deps.fetcher)
		: ({ ok: false, status: null, error: "APP_WEBHOOK_URL or APP_WEBHOOK_SECRET is not configured" } as const);
	if (result.ok) {
		await recordAttempt(db, delivery.id, { delivered: true, status: result.status }, deps.clock());
		log("APP_WEBHOOK_DELIVERED", { ...fields, status: result.status });
		return;
	}
	const delay = nextAttemptDelaySeconds(delivery.attempts + 1);
	const nextAttemptAt = delay === null ? null : now + delay * 1000;
	await recordAttempt(
		db,
		delivery.id,
		{ delivered: false, status: result.status, error: result.error, nextAttemptAt },
		deps.clock(),
	);
	if (delay === null) {
		log("APP_WEBHOOK_FAILED", { ...fields, status: result.status, error: result.error });
		return;
	}
	log("APP_WEBHOOK_RETRY", { ...fields, status: result.status, error: result.error, delay_seconds: delay });
	await deps.queue.send({ type: "app_webhook", deliveryId: delivery.id }, { contentType: "json", delaySeconds: delay });
}
