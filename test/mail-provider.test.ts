// The mail provider as it really behaves (test/support/stand-in/mail.ts):
// idempotency keys that refuse a different body, slow answers, rate limits.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getConfig } from "../src/config";
import { database } from "../src/db/database";
import type { Mailer, MailMessage } from "../src/mail/mailer";
import { MailDeferred, sendPaced } from "../src/mail/paced-send";
import { createResendMailer } from "../src/mail/resend";
import { linkMessage, provisionMessage } from "../src/work/messages";
import {
	captureLogs,
	createClient,
	envWith,
	insertJob,
	jobOf,
	login,
	paidClient,
	runQueueBatch,
	setPassword,
	standInControl,
	uniqueId,
	waitForJobState,
} from "./support/helpers";

interface SentEmail {
	to: string[];
	subject: string;
	text: string;
	idempotency_key: string | null;
}

const emailsOf = async (key: string) => (await standInControl("emails", { key })) as SentEmail[];
const mailCalls = async (key: string) => ((await standInControl("mail-calls", { key })) as { calls: number }).calls;

/** A paid client whose job waits for the consumer, and an env sending through the provider under its own key. */
async function waitingJobWithProvider(vars: Partial<Record<keyof Env, string>> = {}) {
	const client = await createClient();
	const jobId = await insertJob(client.clientId);
	const key = `re_${uniqueId("")}`;
	const custom = envWith({ MAIL_TRANSPORT: "resend", MAIL_API_KEY: key, MAIL_RATE_PER_SECOND: "1000", ...vars });
	return { client, jobId, key, custom, message: provisionMessage(jobId, client.clientId) };
}

const tokenIn = (email: SentEmail | undefined) =>
	email?.text.match(/set-password\?token=([A-Za-z0-9_-]{43})/)?.[1] ?? "";

describe("a slow or unkind mail provider", () => {
	it("completes the job when the provider accepted the email but answered after the timeout, and that email's link works", async () => {
		const { client, custom, key, message } = await waitingJobWithProvider({ MAIL_TIMEOUT_MS: "200" });
		await standInControl("mail", { key, delayMs: 800 });
		const first = await runQueueBatch("onboarding-work", [message], 1, custom);
		expect(first.retryMessages).toHaveLength(1);
		expect(await jobOf(client.clientId)).toMatchObject({ state: "PROVISIONING_STARTED" });
		await new Promise((r) => setTimeout(r, 900)); // the provider finishes and would deliver that email

		// The retry makes the same link and so the same body: the provider replays its answer, which means sent.
		await standInControl("mail", { key, delayMs: 0 });
		const logs = captureLogs();
		const second = await runQueueBatch("onboarding-work", [message], 2, custom);
		logs.restore();
		expect(second.explicitAcks).toHaveLength(1);
		expect(await jobOf(client.clientId)).toMatchObject({ state: "WELCOME_EMAIL_SENT", last_error: null });
		expect(logs.events("PROVISIONING_COMPLETED")[0]).toMatchObject({ mail: "sent" });

		const delivered = await emailsOf(key);
		expect(delivered).toHaveLength(1);
		expect((await setPassword(tokenIn(delivered[0]), "the link from the inbox works")).status).toBe(200);
		expect((await login(client.email, "the link from the inbox works")).response.status).toBe(200);
	});

	it("retries, never fails, a send made while the first is still in flight at the provider", async () => {
		const { client, custom, key, message } = await waitingJobWithProvider({ MAIL_TIMEOUT_MS: "200" });
		await standInControl("mail", { key, delayMs: 1_000 });
		await runQueueBatch("onboarding-work", [message], 1, custom);
		const inFlight = await runQueueBatch("onboarding-work", [message], 2, custom);
		expect(inFlight.retryMessages).toHaveLength(1);
		expect((await jobOf(client.clientId))?.last_error).toBe(
			"mail provider answered 409 (concurrent_idempotent_requests)",
		);
		await new Promise((r) => setTimeout(r, 1_100));
		await runQueueBatch("onboarding-work", [message], 3, custom);
		expect(await jobOf(client.clientId)).toMatchObject({ state: "WELCOME_EMAIL_SENT" });
		expect(await emailsOf(key)).toHaveLength(1);
	});

	it("replays the same key with the same body and sends once", async () => {
		const key = `re_${uniqueId("")}`;
		const mailer = createResendMailer(
			{ ...getConfig(envWith({ MAIL_TRANSPORT: "resend", MAIL_API_KEY: key })).mail },
			fetch,
		);
		const message: MailMessage = {
			to: "once@example.com",
			subject: "Hello",
			text: "the same body",
			html: "<p>the same body</p>",
			link: "",
			idempotencyKey: `welcome-${uniqueId("")}`,
		};
		expect(await mailer.send(message)).toBe("sent");
		expect(await mailer.send(message)).toBe("sent");
		expect(await emailsOf(key)).toHaveLength(1);
		// Another body under the key is never read as sent (test/mail-idempotency.test.ts).
		await expect(mailer.send({ ...message, text: "another body" })).rejects.toMatchObject({ failure: "key_conflict" });
	});

	it("fails the job at once, without retries, when the provider refuses the request itself (422)", async () => {
		const { client, custom, key, message } = await waitingJobWithProvider();
		await standInControl("mail", { key, fail: { status: 422, name: "validation_error", times: 1 } });
		const result = await runQueueBatch("onboarding-work", [message], 1, custom);
		expect(result.explicitAcks).toHaveLength(1);
		expect(result.retryMessages).toHaveLength(0);
		expect(await jobOf(client.clientId)).toMatchObject({
			state: "FAILED",
			last_error: "mail provider answered 422 (validation_error)",
		});
	});

	it("runs a job once when two deliveries of its message arrive together (a lease)", async () => {
		const { client, custom, key, message } = await waitingJobWithProvider();
		await standInControl("mail", { key, delayMs: 300 });
		const logs = captureLogs();
		const results = await Promise.all([
			runQueueBatch("onboarding-work", [message], 1, custom),
			runQueueBatch("onboarding-work", [message], 1, custom),
		]);
		logs.restore();
		expect(results.flatMap((r) => r.explicitAcks)).toHaveLength(2);
		expect(await mailCalls(key)).toBe(1);
		expect(logs.events("PROVISIONING_STARTED")).toHaveLength(1);
		expect(logs.events("PROVISIONING_SKIPPED")[0]).toMatchObject({ reason: "leased by another delivery" });
		expect(await jobOf(client.clientId)).toMatchObject({ state: "WELCOME_EMAIL_SENT" });
	});
});

describe("the provider's rate limit", () => {
	it("defers on a 429 for its Retry-After instead of counting toward the dead letter, then completes", async () => {
		const { client, custom, key, message } = await waitingJobWithProvider();
		await standInControl("mail", { key, perSecond: 0 });
		const logs = captureLogs();
		const result = await runQueueBatch("onboarding-work", [message], 5, custom);
		logs.restore();
		// Acknowledged and sent again with a delay: the next delivery starts at attempt 1.
		expect(result.explicitAcks).toHaveLength(1);
		expect(result.retryMessages).toHaveLength(0);
		const job = await env.DB.prepare("select state, not_before, last_error, lease_until from jobs where client_id = ?")
			.bind(client.clientId)
			.first<{ state: string; not_before: number; last_error: string; lease_until: number | null }>();
		expect(job).toMatchObject({ state: "PROVISIONING_STARTED", lease_until: null });
		expect(job?.last_error).toBe("mail rate_limited: waiting for the provider");
		expect(job?.not_before).toBeGreaterThanOrEqual(Date.now() + 500);
		expect(logs.events("PROVISIONING_DEFERRED")[0]).toMatchObject({ reason: "rate_limited", delay_seconds: 1 });
		expect(logs.events("PROVISIONING_RETRY")).toHaveLength(0);
		// The re-sent message comes back through the real queue after its delay and the job completes.
		await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT", 10_000);
	});

	it("defers and retries a link email under the link's own log names, touching no job", async () => {
		const { client } = await paidClient();
		const key = `re_${uniqueId("")}`;
		const custom = envWith({ MAIL_TRANSPORT: "resend", MAIL_API_KEY: key, MAIL_RATE_PER_SECOND: "1000" });
		const message = linkMessage("reset", client.email);
		// An idle send gate (earlier tests held it): a link email only takes a slot when nothing waits.
		await env.DB.prepare("delete from rate_gates").run();
		await standInControl("mail", { key, perSecond: 0 });
		const logs = captureLogs();
		const deferred = await runQueueBatch("onboarding-work", [message], 1, custom);
		await env.DB.prepare("delete from rate_gates").run();
		await standInControl("mail", { key, perSecond: 1000, fail: { status: 500, name: "application_error", times: 1 } });
		const retried = await runQueueBatch("onboarding-work", [message], 1, custom);
		logs.restore();
		expect(deferred.explicitAcks).toHaveLength(1);
		expect(retried.retryMessages).toHaveLength(1);
		const domain = client.email.split("@")[1];
		expect(logs.events("LINK_DEFERRED")[0]).toMatchObject({
			purpose: "reset",
			email_domain: domain,
			reason: "rate_limited",
		});
		expect(logs.events("LINK_RETRY")[0]).toMatchObject({ purpose: "reset", email_domain: domain, attempt: 1 });
		expect(logs.lines.join("\n")).not.toContain(client.email);
		expect(logs.events("PROVISIONING_DEFERRED")).toHaveLength(0);
		expect(logs.events("PROVISIONING_RETRY")).toHaveLength(0);
		expect(await jobOf(client.clientId)).toMatchObject({ state: "WELCOME_EMAIL_SENT", last_error: null });
	});

	it("spaces sends at the configured rate, waits for a near slot and defers a far one", async () => {
		const db = database(env.DB);
		const sentAt: number[] = [];
		const mailer = (ratePerSecond: number): Mailer => ({
			transport: "recording",
			ratePerSecond,
			async send() {
				sentAt.push(Date.now());
				return "sent";
			},
		});
		const message = (n: number): MailMessage => ({
			to: `r${n}@example.com`,
			subject: "s",
			text: "t",
			html: "h",
			link: "",
			idempotencyKey: uniqueId("k"),
		});
		// 5 per second: three sends at once go out about 200 ms apart.
		const fast = { db, mailer: mailer(5), clock: Date.now };
		await Promise.all([0, 1, 2].map((n) => sendPaced(fast, message(n))));
		const gaps = sentAt.slice(1).map((t, i) => t - (sentAt[i] ?? 0));
		for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(150);

		// One every 10 s: the second send is not waited for inside the consumer but deferred to its slot.
		const slow = { db, mailer: mailer(0.1), clock: Date.now };
		await env.DB.prepare("delete from rate_gates").run();
		await sendPaced(slow, message(3));
		const deferred = await sendPaced(slow, message(4)).catch((e: unknown) => e);
		expect(deferred).toBeInstanceOf(MailDeferred);
		expect((deferred as MailDeferred).until - Date.now()).toBeGreaterThan(8_000);
		// With its slot reserved, the deferred message sends when it comes back, without queueing again.
		const before = sentAt.length;
		await sendPaced(slow, message(4), Date.now());
		expect(sentAt).toHaveLength(before + 1);
	});
});
