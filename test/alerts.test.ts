import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { database } from "../src/db/database";
import { clearQuotaSpent, recordQuotaSpent } from "../src/mail/quota";
import { adminApi, api, captureLogs, envWith, runCron, standInControl, uniqueId } from "./support/helpers";

const MINUTE = 60_000;
const T0 = Date.now();

/** A chat channel of its own on the stand-in, and an environment whose alerts go there (and whose Stripe account is its own). */
function channel(kind: "slack" | "discord", overrides: Partial<Record<keyof Env, string>> = {}) {
	const name = uniqueId("alerts").replace(/[^A-Za-z0-9_-]/g, "");
	const key = `sk_test_${name.replace(/[^A-Za-z0-9]/g, "")}`;
	return {
		name,
		env: envWith({
			ALERT_WEBHOOK_URL: `${env.STAND_IN_URL}/alerts/${kind}/${name}`,
			STRIPE_SECRET_KEY: key,
			...overrides,
		}),
		async messages(containing: string): Promise<string[]> {
			const all = await standInControl("alert-messages", { name });
			return (all as { text: string }[]).map((m) => m.text).filter((t) => t.includes(containing));
		},
	};
}

/** A plan whose onboarding failed for good, as the dead letter leaves it. */
async function failedJob(error: string) {
	const id = uniqueId("client");
	const crn = `CRN-${uniqueId("")
		.replace(/[^A-Z2-9]/gi, "")
		.toUpperCase()
		.slice(-8)
		.padStart(8, "Z")}`;
	await env.DB.batch([
		env.DB.prepare(
			"insert into clients (id, crn, email, name, plan_code, onboarding_token_hash, created_at, updated_at) values (?, ?, ?, 'A', 'starter', ?, ?, ?)",
		).bind(id, crn, `${id}@example.com`, `hash_${id}`, T0, T0),
		env.DB.prepare(
			"insert into jobs (id, client_id, state, attempts, last_error, source, created_at, updated_at) values (?, ?, 'FAILED', 5, ?, 'webhook', ?, ?)",
		).bind(`job_${id}`, id, error, T0, T0),
	]);
	return { jobId: `job_${id}`, crn };
}

describe("alerts to the operator", () => {
	it("sends a failed job once, nothing more within the hour, a reminder after it, and one resolved when it clears", async () => {
		const chat = channel("slack");
		const job = await failedJob("Resend answered 422: the domain is not verified");
		await runCron(T0, chat.env);
		expect(await chat.messages(job.crn)).toEqual([
			`Alert on 127.0.0.1:8787: onboarding of ${job.crn} failed: Resend answered 422: the domain is not verified (console: Retry)`,
		]);
		await runCron(T0 + 10 * MINUTE, chat.env);
		await runCron(T0 + 59 * MINUTE, chat.env);
		expect(await chat.messages(job.crn)).toHaveLength(1);
		await runCron(T0 + 61 * MINUTE, chat.env);
		const reminded = await chat.messages(job.crn);
		expect(reminded).toHaveLength(2);
		expect(reminded[1]).toMatch(/^Still on 127\.0\.0\.1:8787 \(since .+\): onboarding of/);

		await env.DB.prepare("update jobs set state = 'WELCOME_EMAIL_SENT' where id = ?").bind(job.jobId).run();
		await runCron(T0 + 62 * MINUTE, chat.env);
		await runCron(T0 + 63 * MINUTE, chat.env);
		const all = await chat.messages(job.crn);
		expect(all).toHaveLength(3);
		expect(all[2]).toBe(
			`Resolved on 127.0.0.1:8787: onboarding of ${job.crn} failed: Resend answered 422: the domain is not verified (console: Retry)`,
		);
	});

	it("sends a configuration problem as CONFIG_ERROR to Discord, and its resolved message once fixed", async () => {
		const chat = channel("discord", { PAST_DUE_GRACE_DAYS: "soon" });
		await runCron(T0 + 2 * MINUTE, chat.env);
		expect(await chat.messages("grace_days")).toEqual([
			"Alert on 127.0.0.1:8787: CONFIG_ERROR grace_days: PAST_DUE_GRACE_DAYS must be a number of days (0 or more)",
		]);
		await runCron(T0 + 3 * MINUTE, chat.env);
		expect(await chat.messages("grace_days")).toHaveLength(1);
		const fixed = { ...chat.env, PAST_DUE_GRACE_DAYS: "7" };
		await runCron(T0 + 4 * MINUTE, fixed);
		expect(await chat.messages("grace_days")).toEqual([
			expect.stringMatching(/^Alert on/),
			"Resolved on 127.0.0.1:8787: CONFIG_ERROR grace_days: PAST_DUE_GRACE_DAYS must be a number of days (0 or more)",
		]);
	});

	it("tells when the mail provider's quota is spent, and when a send gets through again", async () => {
		const chat = channel("slack");
		const at = T0 + 5 * MINUTE;
		await recordQuotaSpent(database(env.DB), "daily_quota_exceeded", at - MINUTE);
		await runCron(at, chat.env);
		expect(await chat.messages("mail_quota")).toEqual([
			expect.stringMatching(
				/^Alert on .*CONFIG_ERROR mail_quota: since .* the mail provider refuses sends \(daily_quota_exceeded\)/,
			),
		]);
		await clearQuotaSpent(database(env.DB));
		await runCron(at + MINUTE, chat.env);
		expect(await chat.messages("mail_quota")).toEqual([
			expect.stringMatching(/^Alert on/),
			expect.stringMatching(/^Resolved on .*CONFIG_ERROR mail_quota/),
		]);
	});

	it("raises the dead-man's switch when checkouts were confirmed by asking Stripe and no webhook arrived", async () => {
		const chat = channel("slack");
		const at = T0 + 2 * 3_600_000;
		const id = uniqueId("synced");
		await env.DB.batch([
			env.DB.prepare(
				"insert into clients (id, crn, email, name, plan_code, onboarding_token_hash, created_at, updated_at) values (?, 'CRN-SYNC-DEAD', ?, 'S', 'starter', ?, ?, ?)",
			).bind(id, `${id}@example.com`, `hash_${id}`, at, at),
			env.DB.prepare(
				"insert into jobs (id, client_id, state, source, created_at, updated_at) values (?, ?, 'WELCOME_EMAIL_SENT', 'sync', ?, ?)",
			).bind(`job_${id}`, id, at - 5 * MINUTE, at),
		]);
		await runCron(at, chat.env);
		expect(await chat.messages("no Stripe webhooks")).toEqual([
			"Alert on 127.0.0.1:8787: no Stripe webhooks: 1 checkout(s) in the last hour were confirmed by asking Stripe, and no webhook arrived: check the endpoint URL and the webhook secret",
		]);
		await env.DB.prepare(
			"insert into webhook_events (id, type, livemode, event_created, nonce, received_at) values (?, 'invoice.paid', 0, ?, 'n', ?)",
		)
			.bind(`evt_${uniqueId("late")}`, Math.floor(at / 1000), at + MINUTE)
			.run();
		await runCron(at + 2 * MINUTE, chat.env);
		expect((await chat.messages("no Stripe webhooks"))[1]).toMatch(
			/^Resolved on 127\.0\.0\.1:8787: no Stripe webhooks/,
		);
	});

	it("tells when every delivery to the app failed in the last hour, and when one gets through", async () => {
		const secret = `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
		const chat = channel("slack", {
			APP_WEBHOOK_URL: `${env.STAND_IN_URL}/app/${uniqueId("down")}`,
			APP_WEBHOOK_SECRET: secret,
		});
		const at = T0 + 5 * 3_600_000;
		const row = (id: string, status: string, updatedAt: number) =>
			env.DB.prepare(
				"insert into app_deliveries (id, type, client_id, crn, payload, status, attempts, last_status, created_at, updated_at) values (?, 'access.changed', 'c', 'CRN-APPS-DOWN', '{}', ?, 8, 410, ?, ?)",
			).bind(id, status, updatedAt, updatedAt);
		await row(`msg_${uniqueId("a")}`, "failed", at - MINUTE).run();
		await runCron(at, chat.env);
		expect(await chat.messages("your app's webhooks are failing")).toEqual([
			expect.stringMatching(
				/^Alert on 127\.0\.0\.1:8787: your app's webhooks are failing: 1 delivery to .+ failed in the last hour and none succeeded/,
			),
		]);
		await row(`msg_${uniqueId("b")}`, "delivered", at + MINUTE).run();
		await runCron(at + 2 * MINUTE, chat.env);
		expect((await chat.messages("your app's webhooks are failing"))[1]).toMatch(/^Resolved on/);
	});

	it("sends again on the next run when the chat was down, and logs why", async () => {
		const chat = channel("slack");
		const job = await failedJob("mail provider unreachable");
		await standInControl("alerts", { name: chat.name, fail: { status: 503, times: 1 } });
		const logs = captureLogs();
		try {
			await runCron(T0 + 6 * 3_600_000, chat.env);
			expect(logs.events("ALERT_FAILED")).toContainEqual(
				expect.objectContaining({ error: "alert receiver answered 503" }),
			);
		} finally {
			logs.restore();
		}
		expect(await chat.messages(job.crn)).toEqual([]);
		await runCron(T0 + 6 * 3_600_000 + MINUTE, chat.env);
		expect(await chat.messages(job.crn)).toHaveLength(1);
	});

	it("sends nothing from a customer's request, and the doctor shows the last alert sent", async () => {
		const chat = channel("slack");
		const job = await failedJob("a failure nobody has been told about");
		await api("/api/health", {}, chat.env);
		await api("/api/plans", {}, chat.env);
		await adminApi("/api/admin/health", {}, chat.env);
		expect(await chat.messages(job.crn)).toEqual([]);

		const at = T0 + 7 * 3_600_000;
		await runCron(at, chat.env);
		const [sent] = await chat.messages(job.crn);
		const health = (await (await adminApi("/api/admin/health", {}, chat.env)).json()) as {
			checks: { name: string; ok: boolean; hint: string }[];
		};
		const alerts = health.checks.find((c) => c.name === "alerts");
		expect(alerts?.ok).toBe(true);
		expect(alerts?.hint).toContain(`last alert ${new Date(at).toISOString()}: `);
		expect(sent && alerts?.hint.includes(sent.slice(0, 60))).toBe(true);
	});

	it("warns in the doctor while no ALERT_WEBHOOK_URL is set", async () => {
		const health = (await (await adminApi("/api/admin/health")).json()) as {
			checks: { name: string; ok: boolean; warn?: boolean; hint: string }[];
		};
		expect(health.checks.find((c) => c.name === "alerts")).toMatchObject({
			ok: true,
			warn: true,
			hint: expect.stringContaining("ALERT_WEBHOOK_URL is not set"),
		});
	});
});
