// An email's body is a function of its idempotency key, so the provider's
// answer about a key can be taken at its word: a replay means sent, another
// body under our key is an alert, and an operator's retry uses a new key.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { database } from "../src/db/database";
import { retryJob } from "../src/operations/requeue";
import { linkMessage, provisionMessage, type WorkQueue } from "../src/work/messages";
import {
	captureLogs,
	createClient,
	customerWithPassword,
	envWith,
	insertJob,
	jobOf,
	login,
	runQueueBatch,
	setPassword,
	standInControl,
	standInRequests,
	uniqueId,
	waitFor,
	waitForJobState,
} from "./support/helpers";

interface SentEmail {
	to: string[];
	text: string;
	idempotency_key: string | null;
}

const emailsOf = async (key: string) => (await standInControl("emails", { key })) as SentEmail[];
const tokenIn = (text: string | undefined) => text?.match(/set-password\?token=([A-Za-z0-9_-]{43})/)?.[1] ?? "";

async function waitingJob() {
	const client = await createClient();
	const jobId = await insertJob(client.clientId);
	const key = `re_${uniqueId("")}`;
	const custom = envWith({ MAIL_TRANSPORT: "resend", MAIL_API_KEY: key, MAIL_RATE_PER_SECOND: "1000" });
	return { client, jobId, key, custom, message: provisionMessage(jobId, client.clientId) };
}

/** The bodies of every request the provider got under `idempotencyKey`. */
async function bodiesUnder(key: string, idempotencyKey: string) {
	const requests = (await standInRequests(key)) as Array<{
		path: string;
		text: string;
		headers: Record<string, string>;
	}>;
	return requests.filter((r) => r.headers["idempotency-key"] === idempotencyKey).map((r) => r.text);
}

describe("the welcome email's idempotency key", () => {
	it("sends the same bytes under welcome-<job id>-<generation> on every attempt of a run", async () => {
		const { client, jobId, key, custom, message } = await waitingJob();
		await standInControl("mail", { key, fail: { status: 500, name: "application_error", times: 2 } });
		for (let attempt = 1; attempt <= 3; attempt++) await runQueueBatch("onboarding-work", [message], attempt, custom);
		expect(await jobOf(client.clientId)).toMatchObject({ state: "WELCOME_EMAIL_SENT" });
		const bodies = await bodiesUnder(key, `welcome-${jobId}-0`);
		expect(bodies).toHaveLength(3);
		expect(new Set(bodies).size).toBe(1);
		expect(await emailsOf(key)).toHaveLength(1);
	});

	it("treats another body under its key as an alert: MAIL_KEY_CONFLICT and the job FAILED, never sent", async () => {
		const { client, jobId, key, custom, message } = await waitingJob();
		// Someone else's email already holds this run's key at the provider.
		const other = await fetch(`${env.MAIL_API_BASE}/emails`, {
			method: "POST",
			headers: {
				authorization: `Bearer ${key}`,
				"content-type": "application/json",
				"idempotency-key": `welcome-${jobId}-0`,
			},
			body: JSON.stringify({ from: "x@example.com", to: [client.email], subject: "Not ours", text: "other", html: "" }),
		});
		expect(other.status).toBe(200);
		const logs = captureLogs();
		const result = await runQueueBatch("onboarding-work", [message], 1, custom);
		logs.restore();
		expect(result.explicitAcks).toHaveLength(1);
		expect(result.retryMessages).toHaveLength(0);
		const job = await jobOf(client.clientId);
		expect(job?.state).toBe("FAILED");
		expect(job?.last_error).toContain("invalid_idempotent_request");
		expect(logs.events("MAIL_KEY_CONFLICT")[0]).toMatchObject({ job_id: jobId });
		expect(logs.events("PROVISIONING_COMPLETED")).toHaveLength(0);
	});

	it("gives an operator's retry a new key and a new link, and the new email's link works", async () => {
		const { client, jobId, key, custom, message } = await waitingJob();
		await standInControl("mail", { key, fail: { status: 422, name: "validation_error", times: 1 } });
		await runQueueBatch("onboarding-work", [message], 1, custom);
		expect(await jobOf(client.clientId)).toMatchObject({ state: "FAILED" });
		const firstRun = await bodiesUnder(key, `welcome-${jobId}-0`);
		expect(firstRun).toHaveLength(1);

		// The operator's Retry, with its message kept here to run under the provider.
		const sent: unknown[] = [];
		const queue = { send: async (body: unknown) => void sent.push(body) } as unknown as WorkQueue;
		expect(await retryJob({ db: database(env.DB), queue, now: Date.now() }, jobId)).toMatchObject({ ok: true });
		await runQueueBatch("onboarding-work", sent, 1, custom);
		await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
		const secondRun = await bodiesUnder(key, `welcome-${jobId}-1`);
		expect(secondRun).toHaveLength(1);
		const firstToken = tokenIn(JSON.parse(firstRun[0] ?? "{}").text);
		const secondToken = tokenIn(JSON.parse(secondRun[0] ?? "{}").text);
		expect(secondToken).not.toBe(firstToken);
		expect((await setPassword(secondToken, "the retried run's link works")).status).toBe(200);
	});

	for (const keepRefusedKeys of [false, true]) {
		it(`completes with one email whose link works when a refused first request ${keepRefusedKeys ? "keeps" : "does not keep"} its key`, async () => {
			const { client, key, custom, message } = await waitingJob();
			await standInControl("mail", {
				key,
				keepRefusedKeys,
				fail: { status: 500, name: "application_error", times: 1 },
			});
			const first = await runQueueBatch("onboarding-work", [message], 1, custom);
			expect(first.retryMessages).toHaveLength(1);
			await runQueueBatch("onboarding-work", [message], 2, custom);
			expect(await jobOf(client.clientId)).toMatchObject({ state: "WELCOME_EMAIL_SENT" });
			const delivered = await emailsOf(key);
			expect(delivered).toHaveLength(1);
			expect((await setPassword(tokenIn(delivered[0]?.text), "the link in the inbox works")).status).toBe(200);
			expect((await login(client.email, "the link in the inbox works")).response.status).toBe(200);
		});
	}
});

describe("a link email's idempotency key", () => {
	for (const keepRefusedKeys of [false, true]) {
		it(`sends one email per request whose link works when a refused first request ${keepRefusedKeys ? "keeps" : "does not keep"} its key`, async () => {
			const { client } = await customerWithPassword("a long and unusual passphrase");
			const key = `re_${uniqueId("")}`;
			const custom = envWith({ MAIL_TRANSPORT: "resend", MAIL_API_KEY: key, MAIL_RATE_PER_SECOND: "1000" });
			await env.DB.prepare("delete from rate_gates").run();
			await standInControl("mail", {
				key,
				keepRefusedKeys,
				fail: { status: 500, name: "application_error", times: 1 },
			});
			const message = linkMessage("reset", client.email);
			const first = await runQueueBatch("onboarding-work", [message], 1, custom);
			expect(first.retryMessages).toHaveLength(1);
			await env.DB.prepare("delete from rate_gates").run();
			await runQueueBatch("onboarding-work", [message], 2, custom);
			const bodies = await bodiesUnder(key, `reset-${message.requestId}`);
			expect(bodies).toHaveLength(2);
			expect(new Set(bodies).size).toBe(1);
			const delivered = await waitFor(async () => {
				const emails = await emailsOf(key);
				return emails.length > 0 ? emails : undefined;
			});
			expect(delivered).toHaveLength(1);
			expect((await setPassword(tokenIn(delivered[0]?.text), "a reset that really arrived")).status).toBe(200);
		});
	}

	it("fails a link email whose key holds another body, with MAIL_KEY_CONFLICT", async () => {
		const { client } = await customerWithPassword("a long and unusual passphrase");
		const key = `re_${uniqueId("")}`;
		const custom = envWith({ MAIL_TRANSPORT: "resend", MAIL_API_KEY: key, MAIL_RATE_PER_SECOND: "1000" });
		const message = linkMessage("reset", client.email);
		await fetch(`${env.MAIL_API_BASE}/emails`, {
			method: "POST",
			headers: {
				authorization: `Bearer ${key}`,
				"content-type": "application/json",
				"idempotency-key": `reset-${message.requestId}`,
			},
			body: JSON.stringify({ from: "x@example.com", to: [client.email], subject: "Not ours", text: "other", html: "" }),
		});
		await env.DB.prepare("delete from rate_gates").run();
		const logs = captureLogs();
		const result = await runQueueBatch("onboarding-work", [message], 1, custom);
		logs.restore();
		expect(result.retryMessages).toHaveLength(0);
		expect(logs.events("MAIL_KEY_CONFLICT")[0]).toMatchObject({ purpose: "reset" });
		expect(logs.events("LINK_FAILED")[0]).toMatchObject({ permanent: true });
		expect(logs.events("LINK_SENT")).toHaveLength(0);
	});
});
