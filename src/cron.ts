// Scheduled handler: one cron, the reconciler. An unknown cron expression is a
// deploy mistake and throws so it shows in the logs.
import { deps } from "./deps";
import { reconcile } from "./operations/reconcile";
import { resolvePlanPrices } from "./stripe/plan-prices";

export const RECONCILE_CRON = "* * * * *";

export async function handleScheduled(controller: ScheduledController, env: Env): Promise<void> {
	switch (controller.cron) {
		case RECONCILE_CRON: {
			const d = deps(env);
			// Adopting a subscription needs lookup_key plans' price ids; a failure is a CONFIG_ERROR, not a stop.
			await resolvePlanPrices(d.config, d.stripe);
			await reconcile({ ...d, now: controller.scheduledTime });
			return;
		}
		default:
			throw new Error(`unknown cron trigger: ${controller.cron}`);
	}
}
