// "Deliveries to your app" in the console: recent deliveries (failed and
// retrying first) with their last answer, the last day's figures, and "Send
// again" for a failed one (same webhook-id, its schedule started over).
import { deliveryFigures, findDelivery, recentDeliveries, resetDelivery } from "../db/app-deliveries";
import type { Db } from "../db/database";
import { log } from "../log";
import type { DeliveryState } from "../rules/app-deliveries";
import type { WorkQueue } from "../work/messages";

export interface DeliveryView {
	id: string;
	type: string;
	crn: string;
	status: DeliveryState;
	attempts: number;
	last_status: number | null;
	last_error: string | null;
	next_attempt_at: number | null;
	delivered_at: number | null;
	created_at: number;
}

export interface DeliveriesView {
	/** Whether APP_WEBHOOK_URL and a well-formed APP_WEBHOOK_SECRET are set. */
	configured: boolean;
	last_24h: { delivered: number; retrying: number; failed: number };
	deliveries: DeliveryView[];
}

const DAY_MS = 86_400_000;

export async function deliveriesView(db: Db, now: number, configured: boolean, limit = 50): Promise<DeliveriesView> {
	const [figures, rows] = await Promise.all([deliveryFigures(db, now - DAY_MS), recentDeliveries(db, limit)]);
	return {
		configured,
		last_24h: figures,
		deliveries: rows.map((d) => ({
			id: d.id,
			type: d.type,
			crn: d.crn,
			status: d.status,
			attempts: d.attempts,
			last_status: d.lastStatus,
			last_error: d.lastError,
			next_attempt_at: d.nextAttemptAt,
			delivered_at: d.deliveredAt,
			created_at: d.createdAt,
		})),
	};
}

export type ResendResult = { ok: true } | { ok: false; reason: "not_found" | "not_failed" };

export async function sendAgain(deps: { db: Db; queue: WorkQueue; now: number }, id: string): Promise<ResendResult> {
	const reset = await resetDelivery(deps.db, id, deps.now);
	if (!reset) return { ok: false, reason: (await findDelivery(deps.db, id)) ? "not_failed" : "not_found" };
	await deps.queue.send({ type: "app_webhook", deliveryId: id }, { contentType: "json" });
	log("ADMIN_ACTION", { action: "send_delivery_again", delivery_id: id });
	return { ok: true };
}
