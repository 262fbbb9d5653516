// Scheduled handler: one cron, the reconciler. An unknown cron expression is a
// deploy mistake and throws so it shows in the logs.
import { deps } from "./deps";
import { reconcile } from "./operations/reconcile";

export const RECONCILE_CRON = "* * * * *";

export async function handleScheduled(controller: ScheduledController, env: Env): Promise<void> {
	switch (controller.cron) {
		case RECONCILE_CRON:
			await reconcile({ ...deps(env), now: controller.scheduledTime });
			return;
		default:
			throw new Error(`unknown cron trigger: ${controller.cron}`);
	}
}
