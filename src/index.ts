// The Worker: HTTP, queue and cron entry points. Wiring only.
import { app } from "./app";
import { handleScheduled } from "./cron";
import { handleDeadLetterBatch, handleWorkBatch } from "./work/consumer";

export default {
	fetch: app.fetch,
	async queue(batch, env, _ctx) {
		if (batch.queue.endsWith("-dlq")) await handleDeadLetterBatch(batch, env);
		else await handleWorkBatch(batch, env);
	},
	async scheduled(controller, env, _ctx) {
		await handleScheduled(controller, env);
	},
} satisfies ExportedHandler<Env>;
