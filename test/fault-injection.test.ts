import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { provisionMessage } from "../src/onboarding/queue-message";
import {
	adminApi,
	captureLogs,
	checkoutCompleted,
	countOf,
	createClient,
	envWith,
	jobOf,
	payloadOf,
	postWebhook,
	runCron,
	runQueueBatch,
	setupStatus,
	waitForJobState,
} from "./support/helpers";

/** The real D1 binding, except that the next `batch` call fails. */
function failingBatchDb(): D1Database {
	let failures = 1;
	return new Proxy(env.DB, {
		get(target, prop) {
			if (prop === "batch" && failures > 0) {
				return async () => {
					failures--;
					throw new Error("D1_ERROR: injected write failure");
				};
			}
			const value = Reflect.get(target, prop);
			return typeof value === "function" ? value.bind(target) : value;
		},
	});
}

function failingQueue(): Queue {
	return {
		send: async () => {
			throw new Error("Queue send failed: injected");
		},
		sendBatch: async () => {
			throw new Error("Queue send failed: injected");
		},
	} as unknown as Queue;
}

describe("fault injection", () => {
	it("a D1 failure mid-webhook answers 500, stores nothing, and Stripe's retry succeeds once", async () => {
		const client = await createClient();
		const event = checkoutCompleted(client);
		const payload = payloadOf(event);
		const logs = captureLogs();
		const failed = await postWebhook(payload, { env: { ...env, DB: failingBatchDb() } });
		logs.restore();
		expect(failed.status).toBe(500);
		expect(await failed.json()).toMatchObject({ error: "processing_failed" });
		expect(logs.events("WEBHOOK_PROCESSING_FAILED")[0]).toMatchObject({
			event_id: event.id,
			event_type: "checkout.session.completed",
			error: "D1_ERROR: injected write failure",
		});
		expect(await countOf("webhook_events", { id: event.id })).toBe(0);
		expect(await jobOf(client.clientId)).toBeNull();

		const retried = await postWebhook(payload);
		expect(retried.status).toBe(200);
		await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
		expect(await countOf("jobs", { client_id: client.clientId })).toBe(1);
		expect(await countOf("outbox", { to_address: client.email })).toBe(1);
	});

	it("a failed queue send answers 500 and un-records the event, so Stripe's retry enqueues", async () => {
		const client = await createClient();
		const event = checkoutCompleted(client);
		const payload = payloadOf(event);
		const logs = captureLogs();
		const failed = await postWebhook(payload, { env: { ...env, WORK_QUEUE: failingQueue() } });
		logs.restore();
		expect(failed.status).toBe(500);
		expect(logs.events("PROVISIONING_ENQUEUE_FAILED")).toHaveLength(1);
		expect(await countOf("webhook_events", { id: event.id })).toBe(0);
		expect((await jobOf(client.clientId))?.state).toBe("PAYMENT_CONFIRMED");

		expect((await postWebhook(payload)).status).toBe(200);
		await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
		expect(await countOf("jobs", { client_id: client.clientId })).toBe(1);
	});

	it("a lost queue message is recovered by the reconciler", async () => {
		const client = await createClient();
		await postWebhook(payloadOf(checkoutCompleted(client)), { env: { ...env, WORK_QUEUE: failingQueue() } });
		// Stripe gave up retrying: only the job row is left.
		const job = await jobOf(client.clientId);
		expect(job?.state).toBe("PAYMENT_CONFIRMED");
		const logs = captureLogs();
		await runCron(Date.now() + 3 * 60_000);
		logs.restore();
		expect(logs.events("RECONCILE_REQUEUED").some((e) => e.job_id === job?.id)).toBe(true);
		await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
	});

	it("a mail transport that keeps failing ends FAILED, shows in ops, and an ops retry completes it", async () => {
		const client = await createClient();
		await postWebhook(payloadOf(checkoutCompleted(client)), { env: { ...env, WORK_QUEUE: failingQueue() } });
		const job = await jobOf(client.clientId);
		if (!job) throw new Error("no job");
		const brokenMail = envWith({ MAIL_TRANSPORT: "resend", MAIL_API_KEY: "" });
		const message = provisionMessage(job.id, client.clientId);
		for (let attempt = 1; attempt <= 6; attempt++) {
			const result = await runQueueBatch("onboarding-work", [message], attempt, brokenMail);
			expect(result.retryMessages).toHaveLength(1);
		}
		await runQueueBatch("onboarding-work-dlq", [message], 6);
		expect(await jobOf(client.clientId)).toMatchObject({ state: "FAILED", last_error: "MAIL_API_KEY is not set" });
		expect((await setupStatus(client)).body).toMatchObject({ provisioning_state: "failed" });

		const listed = (await (await adminApi("/api/admin/jobs?status=failed")).json()) as {
			jobs: Array<{ id: string; crn: string }>;
		};
		expect(listed.jobs.find((j) => j.id === job.id)).toMatchObject({ crn: client.crn });

		const retry = await adminApi(`/api/admin/jobs/${job.id}/retry`, { method: "POST" });
		expect(retry.status).toBe(202);
		await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
		expect((await setupStatus(client)).body).toMatchObject({
			provisioning_state: "completed",
			next_action: "set_password",
		});
	});
});
