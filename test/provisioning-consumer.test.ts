import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { provisionMessage } from "../src/onboarding/queue-message";
import { retryDelaySeconds } from "../src/queue";
import {
	captureLogs,
	countOf,
	createClient,
	envWith,
	insertJob,
	jobOf,
	paidClient,
	runQueueBatch,
	setupStatus,
	standInControl,
	uniqueId,
} from "./support/helpers";

/** A job stuck before the consumer ran: the row exists, the message never arrived. */
async function waitingJob() {
	const client = await createClient();
	return { client, jobId: await insertJob(client.clientId) };
}

const resendEnv = () => envWith({ MAIL_TRANSPORT: "resend", MAIL_API_KEY: `re_${uniqueId("")}` });

describe("provisioning consumer", () => {
	it("provisions a job: user, hashed single-use token, welcome email, completed", async () => {
		const { client, jobId } = await waitingJob();
		const logs = captureLogs();
		const result = await runQueueBatch("onboarding-work", [provisionMessage(jobId, client.clientId)]);
		logs.restore();
		expect(result.explicitAcks).toHaveLength(1);
		expect((await jobOf(client.clientId))?.state).toBe("WELCOME_EMAIL_SENT");
		const token = await env.DB.prepare(
			"select t.token_hash, t.expires_at from password_tokens t join users u on u.id = t.user_id where u.client_id = ?",
		)
			.bind(client.clientId)
			.first<{ token_hash: string; expires_at: number }>();
		expect(token?.token_hash).toMatch(/^[0-9a-f]{64}$/);
		expect(token?.expires_at).toBeGreaterThan(Date.now() + 71 * 3_600_000);
		const mail = await env.DB.prepare("select text_body from outbox where to_address = ?")
			.bind(client.email)
			.first<{ text_body: string }>();
		const link = mail?.text_body.match(/\/set-password\?token=([A-Za-z0-9_-]{43})/);
		expect(link).toBeTruthy();
		// Only the hash is stored.
		expect(await countOf("password_tokens", { token_hash: link?.[1] })).toBe(0);
		expect(logs.events("PROVISIONING_STARTED")[0]).toMatchObject({ job_id: jobId, client_id: client.clientId });
		expect(logs.events("PROVISIONING_COMPLETED")[0]).toMatchObject({ job_id: jobId, client_id: client.clientId });
	});

	it("ignores a redelivered message: no second user, no second email", async () => {
		const { client, job } = await paidClient();
		const result = await runQueueBatch("onboarding-work", [provisionMessage(job.id, client.clientId)], 2);
		expect(result.explicitAcks).toHaveLength(1);
		expect(await countOf("users", { client_id: client.clientId })).toBe(1);
		expect(await countOf("outbox", { to_address: client.email })).toBe(1);
	});

	it("sends through the mail provider once even when a retry follows a send", async () => {
		const { client, jobId } = await waitingJob();
		const custom = resendEnv();
		// First attempt sends, then "crashes" before completing: run the message twice with the job reset in between.
		await runQueueBatch("onboarding-work", [provisionMessage(jobId, client.clientId)], 1, custom);
		await env.DB.prepare("update jobs set state = 'PROVISIONING_STARTED' where id = ?").bind(jobId).run();
		await runQueueBatch("onboarding-work", [provisionMessage(jobId, client.clientId)], 2, custom);
		const emails = (await standInControl("emails", { key: custom.MAIL_API_KEY })) as Array<{
			to: string[];
			subject: string;
		}>;
		expect(emails).toHaveLength(1);
		expect(emails[0]?.to).toEqual([client.email]);
	});

	it("retries with backoff when the mail provider fails, recording the error", async () => {
		const { client, jobId } = await waitingJob();
		const custom = resendEnv();
		await standInControl("fail", { key: custom.MAIL_API_KEY, path: "/resend/emails", times: 1 });
		const logs = captureLogs();
		const result = await runQueueBatch("onboarding-work", [provisionMessage(jobId, client.clientId)], 1, custom);
		logs.restore();
		expect(result.explicitAcks).toHaveLength(0);
		expect(result.retryMessages).toHaveLength(1);
		const job = await jobOf(client.clientId);
		expect(job).toMatchObject({
			state: "PROVISIONING_STARTED",
			last_error: "mail provider answered 500 (internal_server_error)",
		});
		// The pool's QueueResult does not report delays, so the retry's log line carries it.
		expect(logs.events("PROVISIONING_RETRY")[0]).toMatchObject({
			job_id: jobId,
			attempt: 1,
			delay_seconds: retryDelaySeconds(1),
		});
		// The next delivery succeeds and completes the job.
		const again = await runQueueBatch("onboarding-work", [provisionMessage(jobId, client.clientId)], 2, custom);
		expect(again.explicitAcks).toHaveLength(1);
		expect((await jobOf(client.clientId))?.state).toBe("WELCOME_EMAIL_SENT");
	});

	it("backs off exponentially, about ten minutes in all", () => {
		const delays = [1, 2, 3, 4, 5].map(retryDelaySeconds);
		expect(delays).toEqual([5, 15, 45, 135, 405]);
	});

	it("marks the job FAILED from the dead-letter queue, keeping the last error; the status page shows failed", async () => {
		const { client, jobId } = await waitingJob();
		await env.DB.prepare(
			"update jobs set state = 'PROVISIONING_STARTED', last_error = 'mail provider answered 500' where id = ?",
		)
			.bind(jobId)
			.run();
		const logs = captureLogs();
		const result = await runQueueBatch("onboarding-work-dlq", [provisionMessage(jobId, client.clientId)], 6);
		logs.restore();
		expect(result.explicitAcks).toHaveLength(1);
		expect(await jobOf(client.clientId)).toMatchObject({ state: "FAILED", last_error: "mail provider answered 500" });
		expect(logs.events("PROVISIONING_FAILED")[0]).toMatchObject({
			job_id: jobId,
			dead_letter: true,
			error: "mail provider answered 500",
		});
		expect((await setupStatus(client)).body).toMatchObject({ provisioning_state: "failed" });
	});

	it("never fails a job that already completed", async () => {
		const { client, job } = await paidClient();
		await runQueueBatch("onboarding-work-dlq", [provisionMessage(job.id, client.clientId)], 6);
		expect((await jobOf(client.clientId))?.state).toBe("WELCOME_EMAIL_SENT");
	});

	it("acknowledges and logs a malformed message instead of retrying it", async () => {
		const logs = captureLogs();
		const result = await runQueueBatch("onboarding-work", [{ hello: "world" }]);
		logs.restore();
		expect(result.explicitAcks).toHaveLength(1);
		expect(logs.events("PROVISIONING_FAILED")[0]).toMatchObject({ error: "malformed queue message" });
	});
});
