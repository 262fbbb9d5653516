// Scheduled handler: one cron, the reconciler. An unknown cron expression is a
// deploy mistake and throws so it shows in the logs.
import { getConfig } from "./config";
import { database } from "./db/queries";
import type { ProvisioningQueue } from "./onboarding/provisioning-message";
import { reconcile } from "./onboarding/reconcile";
import { stripeFor } from "./stripe/client";

export const RECONCILE_CRON = "* * * * *";

export async function handleScheduled(controller: ScheduledController, env: Env): Promise<void> {
	switch (controller.cron) {
		case RECONCILE_CRON: {
			const config = getConfig(env);
			await reconcile({
				db: database(env.DB),
				queue: env.PROVISIONING_QUEUE as ProvisioningQueue,
				stripe: stripeFor(config),
				now: controller.scheduledTime,
			});
			return;
		}
		default:
			throw new Error(`unknown cron trigger: ${controller.cron}`);
	}
}
