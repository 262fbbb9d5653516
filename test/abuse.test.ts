// Nobody can use the service against someone else: an inbox flooded through
// "Forgot password?", a spent mail quota read as retries into the dead letter.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { linkMessage, provisionMessage } from "../src/work/messages";
import {
	adminApi,
	captureLogs,
	createClient,
	customerWithPassword,
	envWith,
	insertJob,
	jobOf,
	requestReset,
	runQueueBatch,
	standInControl,
	uniqueId,
	waitFor,
	waitForEmails,
} from "./support/helpers";

const PASSWORD = "a long and unusual passphrase";

const linkEmailsTo = async (email: string) =>
	(
		await env.DB.prepare(
			"select count(*) as n from outbox where to_address = ? and idempotency_key not like 'welcome-%'",
		)
			.bind(email)
			.first<{ n: number }>()
	)?.n ?? 0;

describe("the per-login cap on link emails", () => {
	it("sends a login at most 3 reset or set-password emails an hour, whoever asks, and drops the rest with LINK_CAPPED", async () => {
		const { client } = await customerWithPassword(PASSWORD);
		const logs = captureLogs();
		// Three from this location (its own limit allows three a minute), each from another address.
		for (let i = 0; i < 3; i++) expect((await requestReset(client.email)).status).toBe(202);
		await waitForEmails(client.email, 4);
		// Support, and two more resets as if from other Cloudflare locations, whose limits count apart.
		expect((await adminApi(`/api/admin/clients/${client.crn}/setup-link`, { method: "POST" })).status).toBe(202);
		const elsewhere = await runQueueBatch("onboarding-work", [
			linkMessage("reset", client.email),
			linkMessage("reset", client.email),
		]);
		await waitFor(async () => logs.events("LINK_CAPPED").length >= 3);
		logs.restore();
		expect(elsewhere.explicitAcks).toHaveLength(2);
		expect(elsewhere.retryMessages).toHaveLength(0);
		expect(await linkEmailsTo(client.email)).toBe(3);
		expect(logs.events("LINK_CAPPED").map((e) => e.purpose)).toEqual(
			expect.arrayContaining(["support", "reset", "reset"]),
		);
		expect(logs.lines.join("\n")).not.toContain(client.email);
	});

	it("counts a redelivered link message once, and lets the login have another email when the hour has passed", async () => {
		const { client } = await customerWithPassword(PASSWORD);
		const message = linkMessage("reset", client.email);
		await runQueueBatch("onboarding-work", [message]);
		await runQueueBatch("onboarding-work", [message], 2);
		await runQueueBatch("onboarding-work", [linkMessage("reset", client.email), linkMessage("reset", client.email)]);
		expect(await linkEmailsTo(client.email)).toBe(3);
		const capped = linkMessage("reset", client.email);
		await runQueueBatch("onboarding-work", [capped]);
		expect(await linkEmailsTo(client.email)).toBe(3);

		await env.DB.prepare(
			"update link_sends set created_at = created_at - 3600001 where user_id = (select id from users where email = ?)",
		)
			.bind(client.email)
			.run();
		await runQueueBatch("onboarding-work", [linkMessage("reset", client.email)]);
		expect(await linkEmailsTo(client.email)).toBe(4);
	});

	it("answers the same 202 for a capped login as for an unknown email", async () => {
		const { client } = await customerWithPassword(PASSWORD);
		await runQueueBatch(
			"onboarding-work",
			[1, 2, 3].map(() => linkMessage("reset", client.email)),
		);
		const capped = await requestReset(client.email);
		const unknown = await requestReset(`${uniqueId("nobody")}@example.com`);
		expect(capped.status).toBe(202);
		expect(await capped.text()).toBe(await unknown.text());
	});
});

describe("a spent mail quota", () => {
	for (const quota of ["daily", "monthly"] as const) {
		it(`defers for an hour on ${quota}_quota_exceeded, logs CONFIG_ERROR and fails the doctor's mail_quota until a send gets through`, async () => {
			const client = await createClient();
			const jobId = await insertJob(client.clientId);
			const key = `re_${uniqueId("")}`;
			const custom = envWith({ MAIL_TRANSPORT: "resend", MAIL_API_KEY: key, MAIL_RATE_PER_SECOND: "1000" });
			await standInControl("mail", { key, quota });
			const logs = captureLogs();
			// Even on the last attempt before the dead letter: a deferral, not a retry.
			const result = await runQueueBatch("onboarding-work", [provisionMessage(jobId, client.clientId)], 5, custom);
			logs.restore();
			expect(result.explicitAcks).toHaveLength(1);
			expect(result.retryMessages).toHaveLength(0);
			expect(logs.events("CONFIG_ERROR")).toContainEqual(expect.objectContaining({ check: "mail_quota" }));
			const deferred = logs.events("PROVISIONING_DEFERRED")[0];
			expect(deferred).toMatchObject({ reason: "quota" });
			expect(Number(deferred?.delay_seconds)).toBeGreaterThanOrEqual(3500);
			expect(logs.events("PROVISIONING_RETRY")).toHaveLength(0);
			expect(logs.events("PROVISIONING_FAILED")).toHaveLength(0);
			expect(await jobOf(client.clientId)).toMatchObject({ state: "PROVISIONING_STARTED" });

			const health = async () =>
				(
					(await (await adminApi("/api/admin/health", {}, custom)).json()) as {
						checks: Array<{ name: string; ok: boolean; hint: string }>;
					}
				).checks.find((c) => c.name === "mail_quota");
			expect(await health()).toMatchObject({ ok: false, hint: expect.stringContaining(`${quota}_quota_exceeded`) });

			await standInControl("mail", { key, quota: null });
			await runQueueBatch("onboarding-work", [provisionMessage(jobId, client.clientId)], 1, custom);
			expect(await jobOf(client.clientId)).toMatchObject({ state: "WELCOME_EMAIL_SENT" });
			expect(await health()).toMatchObject({ ok: true });
		});
	}

	it("defers a link email on a quota answer too, never toward the dead letter", async () => {
		const { client } = await customerWithPassword(PASSWORD);
		const key = `re_${uniqueId("")}`;
		const custom = envWith({ MAIL_TRANSPORT: "resend", MAIL_API_KEY: key, MAIL_RATE_PER_SECOND: "1000" });
		await env.DB.prepare("delete from rate_gates").run();
		await standInControl("mail", { key, quota: "daily" });
		const logs = captureLogs();
		const result = await runQueueBatch("onboarding-work", [linkMessage("reset", client.email)], 5, custom);
		logs.restore();
		await standInControl("mail", { key, quota: null });
		expect(result.explicitAcks).toHaveLength(1);
		expect(result.retryMessages).toHaveLength(0);
		expect(logs.events("LINK_DEFERRED")[0]).toMatchObject({ reason: "quota" });
		expect(logs.events("LINK_FAILED")).toHaveLength(0);
	});
});
