import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
	GIVE_UP_AFTER_MS,
	planRequeue,
	RETRYING_STUCK_AFTER_MS,
	STUCK_AFTER_MS,
	type StuckJob,
} from "../src/onboarding/reconcile";
import {
	captureLogs,
	checkoutSessionObject,
	countOf,
	createClient,
	envWith,
	insertJob,
	jobOf,
	runCron,
	standInControl,
	uniqueId,
	waitForJobState,
} from "./support/helpers";

async function stuckJob(state: "PAYMENT_CONFIRMED" | "PROVISIONING_STARTED", ageMs: number, requeues = 0) {
	const client = await createClient();
	return { client, id: await insertJob(client.clientId, { state, ageMs, requeues }) };
}

describe("reconciliation plan", () => {
	const job = (over: Partial<StuckJob>): StuckJob => ({
		id: "j",
		clientId: "c",
		state: "PAYMENT_CONFIRMED",
		requeues: 0,
		lastError: null,
		queuedAt: 0,
		updatedAt: 0,
		...over,
	});

	it("re-enqueues jobs idle past the threshold and leaves fresh ones alone", () => {
		const now = 10 * STUCK_AFTER_MS;
		const plan = planRequeue(
			[job({ id: "old", updatedAt: now - STUCK_AFTER_MS }), job({ id: "fresh", updatedAt: now - STUCK_AFTER_MS + 1 })],
			now,
		);
		expect(plan.requeue.map((j) => j.id)).toEqual(["old"]);
		expect(plan.fail).toEqual([]);
	});

	it("leaves a job the queue is retrying alone until its whole retry window has passed", () => {
		const now = 100 * STUCK_AFTER_MS;
		const retrying = { state: "PROVISIONING_STARTED" as const, lastError: "mail provider answered 500", queuedAt: now };
		expect(planRequeue([job({ ...retrying, updatedAt: now - STUCK_AFTER_MS - 1 })], now).requeue).toEqual([]);
		expect(planRequeue([job({ ...retrying, updatedAt: now - RETRYING_STUCK_AFTER_MS })], now).requeue).toHaveLength(1);
	});

	it("gives up on a job by the age of its run, not by how often it was re-enqueued", () => {
		const now = 100 * GIVE_UP_AFTER_MS;
		// Re-enqueued every two minutes through a 20-minute queue outage: still re-enqueued.
		const outage = job({ id: "outage", requeues: 10, queuedAt: now - 20 * 60_000, updatedAt: now - STUCK_AFTER_MS });
		const old = job({ id: "old", requeues: 1, queuedAt: now - GIVE_UP_AFTER_MS, updatedAt: now - STUCK_AFTER_MS });
		const plan = planRequeue([outage, old], now);
		expect(plan.requeue.map((j) => j.id)).toEqual(["outage"]);
		expect(plan.fail.map((j) => j.id)).toEqual(["old"]);
	});
});

describe("cron reconciler", () => {
	it("re-enqueues stuck jobs in both waiting states, which then complete", async () => {
		const waiting = await stuckJob("PAYMENT_CONFIRMED", STUCK_AFTER_MS + 1_000);
		const crashed = await stuckJob("PROVISIONING_STARTED", STUCK_AFTER_MS + 1_000);
		const fresh = await stuckJob("PAYMENT_CONFIRMED", 1_000);
		const logs = captureLogs();
		await runCron(Date.now());
		logs.restore();
		const requeued = logs.events("RECONCILE_REQUEUED").map((e) => e.job_id);
		expect(requeued).toEqual(expect.arrayContaining([waiting.id, crashed.id]));
		expect(requeued).not.toContain(fresh.id);
		await waitForJobState(waiting.client.clientId, "WELCOME_EMAIL_SENT");
		await waitForJobState(crashed.client.clientId, "WELCOME_EMAIL_SENT");
		expect((await jobOf(fresh.client.clientId))?.requeues).toBe(0);
		expect(logs.events("RECONCILE_DONE")[0]).toMatchObject({ requeued: requeued.length });
	});

	it("bounds the work of one run", async () => {
		for (let i = 0; i < 55; i++) await stuckJob("PAYMENT_CONFIRMED", STUCK_AFTER_MS + 5_000);
		const logs = captureLogs();
		await runCron(Date.now());
		logs.restore();
		expect(logs.events("RECONCILE_REQUEUED")).toHaveLength(50);
	});

	it("fails a job whose run is older than the give-up age, naming why", async () => {
		const { client } = await stuckJob("PROVISIONING_STARTED", GIVE_UP_AFTER_MS + 1_000, 3);
		await runCron(Date.now());
		const job = await jobOf(client.clientId);
		expect(job).toMatchObject({ state: "FAILED" });
		expect(job?.last_error).toMatch(/^still PROVISIONING_STARTED \d+ min after it was queued$/);
	});

	it("provisions a paid session that Stripe lists but no webhook reported, once", async () => {
		const key = `sk_test_${uniqueId("reconcile")}`;
		const custom = envWith({ STRIPE_SECRET_KEY: key });
		const client = await createClient({}, custom);
		await standInControl("session", {
			key,
			id: client.sessionId,
			patch: checkoutSessionObject(client, { created: Math.floor(Date.now() / 1000) }),
		});
		const logs = captureLogs();
		await runCron(Date.now(), custom);
		await runCron(Date.now() + 1_000, custom);
		logs.restore();
		const provisioned = logs.events("RECONCILE_STRIPE_PROVISIONED").filter((e) => e.client_id === client.clientId);
		expect(provisioned).toHaveLength(1);
		const job = await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
		expect(job.source).toBe("reconcile");
		expect(await countOf("outbox", { to_address: client.email })).toBe(1);
	});

	it("keeps re-enqueueing when Stripe is down", async () => {
		const key = `sk_test_${uniqueId("down")}`;
		const custom = envWith({ STRIPE_SECRET_KEY: key });
		await standInControl("fail", { key, path: "/v1/checkout/sessions", times: 5 });
		const waiting = await stuckJob("PAYMENT_CONFIRMED", STUCK_AFTER_MS + 1_000);
		const logs = captureLogs();
		await runCron(Date.now(), custom);
		logs.restore();
		expect(logs.events("RECONCILE_FAILED")[0]).toMatchObject({ step: "stripe" });
		expect(logs.events("RECONCILE_REQUEUED").some((e) => e.job_id === waiting.id)).toBe(true);
	});

	it("throws on an unknown cron expression", async () => {
		await expect(runCron(Date.now(), env, "0 0 * * *")).rejects.toThrow("unknown cron trigger");
	});
});
