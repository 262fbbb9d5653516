// Standard Webhooks to the operator's own app: what is sent and when, signed so
// the official `standardwebhooks` library verifies it, retried on a schedule
// with the same id, failed after more than a day, sent again on request, and
// never lost between a change and its message. The app is the stand-in's
// receiver at /app/<name>; the work queue is captured so each message runs
// here, under the env that configures the app.
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { nextAttemptDelaySeconds, RETRY_SCHEDULE_SECONDS, RETRY_WINDOW_SECONDS } from "../src/rules/app-deliveries";
import { devSubscription } from "../src/stripe/event-kit";
import { provisionMessage, type WorkMessage } from "../src/work/messages";
import {
	adminApi,
	type ClientRef,
	captureLogs,
	createClient,
	envelope,
	envWith,
	insertJob,
	invoiceEvent,
	nowSeconds,
	payloadOf,
	postWebhook,
	runCron,
	runQueueBatch,
	standInControl,
	uniqueId,
} from "./support/helpers";

const SECRET = `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;

interface Delivery {
	headers: Record<string, string>;
	body: string;
}

/** An env whose app webhook goes to its own receiver, and whose work queue only records what is sent. */
function appEnv(vars: Partial<Record<keyof Env, string>> = {}) {
	const name = uniqueId("app");
	const sent: { body: WorkMessage; delaySeconds?: number }[] = [];
	const WORK_QUEUE = {
		send: async (body: WorkMessage, options?: { delaySeconds?: number }) => {
			sent.push({ body, delaySeconds: options?.delaySeconds });
		},
		sendBatch: async (messages: { body: WorkMessage; delaySeconds?: number }[]) => {
			for (const m of messages) sent.push({ body: m.body, delaySeconds: m.delaySeconds });
		},
	};
	const custom = {
		...envWith({ APP_WEBHOOK_URL: `${env.STAND_IN_URL}/app/${name}`, APP_WEBHOOK_SECRET: SECRET, ...vars }),
		WORK_QUEUE,
		// A queue that records instead of delivering: each message then runs here, under this env.
	} as unknown as Env;
	return {
		env: custom,
		name,
		sent,
		/** Runs (and forgets) every captured message of these types. */
		async run(...types: WorkMessage["type"][]) {
			const due = sent.filter((m) => types.includes(m.body.type));
			sent.splice(0, sent.length, ...sent.filter((m) => !types.includes(m.body.type)));
			return runQueueBatch(
				"onboarding-work",
				due.map((m) => m.body),
				1,
				custom,
			);
		},
		deliveries: async () => (await standInControl("app-deliveries", { name })) as Delivery[],
		receiver: (settings: Record<string, unknown>) => standInControl("app", { name, ...settings }),
	};
}

const deliveryRow = (id: string) =>
	env.DB.prepare("select * from app_deliveries where id = ?").bind(id).first<{
		id: string;
		type: string;
		status: string;
		attempts: number;
		last_status: number | null;
		last_error: string | null;
		payload: string;
	}>();

const deliveriesOf = (clientId: string) =>
	env.DB.prepare("select id, type, status, payload from app_deliveries where client_id = ? order by created_at")
		.bind(clientId)
		.all<{ id: string; type: string; status: string; payload: string }>()
		.then((r) => r.results);

/** A renewal's invoice event (not the first invoice, which Checkout collects). */
const renewalInvoice = (type: "invoice.paid" | "invoice.payment_failed", client: ClientRef) =>
	invoiceEvent(type, client, {}, { billing_reason: "subscription_cycle" });

/** A paid client provisioned under `app`: the job, the customer.onboarded delivery. */
async function onboarded(app: ReturnType<typeof appEnv>) {
	const client = await createClient();
	const jobId = await insertJob(client.clientId);
	await runQueueBatch("onboarding-work", [provisionMessage(jobId, client.clientId)], 1, app.env);
	const [delivery] = await deliveriesOf(client.clientId);
	if (!delivery) throw new Error("no customer.onboarded delivery");
	return { client, delivery };
}

afterEach(() => {
	vi.useRealTimers();
});

describe("deliveries to the operator's app", () => {
	it("sends customer.onboarded when provisioning completes, signed so the official library verifies it", async () => {
		const app = appEnv();
		const { client, delivery } = await onboarded(app);
		expect(delivery).toMatchObject({ type: "customer.onboarded", status: "pending" });
		expect(app.sent.map((m) => m.body)).toEqual([{ type: "app_webhook", deliveryId: delivery.id }]);

		await app.run("app_webhook");
		const [received] = await app.deliveries();
		if (!received) throw new Error("the receiver got nothing");
		expect(received.headers["webhook-id"]).toBe(delivery.id);
		const verified = new Webhook(SECRET).verify(received.body, received.headers) as {
			type: string;
			timestamp: string;
			data: Record<string, unknown>;
		};
		expect(verified).toEqual({
			type: "customer.onboarded",
			timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
			data: {
				crn: client.crn,
				email: client.email,
				name: "Ada Lovelace",
				plan_code: "starter",
				access: "active",
				reason: "paid",
			},
		});
		expect(await deliveryRow(delivery.id)).toMatchObject({ status: "delivered", attempts: 1, last_status: 204 });
	});

	it("refuses a delivery signed with another secret or with a changed body", async () => {
		const app = appEnv();
		await onboarded(app);
		await app.run("app_webhook");
		const [received] = await app.deliveries();
		if (!received) throw new Error("the receiver got nothing");
		const other = `whsec_${btoa("another secret of thirty-two b!!")}`;
		expect(() => new Webhook(other).verify(received.body, received.headers)).toThrow();
		expect(() => new Webhook(SECRET).verify(received.body.replace("active", "ended"), received.headers)).toThrow();
	});

	it("retries a failed attempt on the schedule with the same webhook-id, signed again at its own time", async () => {
		const app = appEnv();
		const { delivery } = await onboarded(app);
		await app.receiver({ fail: { status: 503, times: 1 } });
		const logs = captureLogs();
		await app.run("app_webhook");
		logs.restore();
		expect(await deliveryRow(delivery.id)).toMatchObject({ status: "pending", attempts: 1, last_status: 503 });
		expect(logs.events("APP_WEBHOOK_RETRY")[0]).toMatchObject({ delivery_id: delivery.id, delay_seconds: 30 });
		expect(app.sent).toEqual([{ body: { type: "app_webhook", deliveryId: delivery.id }, delaySeconds: 30 }]);

		vi.useFakeTimers({ now: Date.now() + 31_000, toFake: ["Date"] });
		await app.run("app_webhook");
		const [first, second] = await app.deliveries();
		if (!first || !second) throw new Error("expected two attempts");
		expect(second.headers["webhook-id"]).toBe(first.headers["webhook-id"]);
		expect(Number(second.headers["webhook-timestamp"])).toBeGreaterThanOrEqual(
			Number(first.headers["webhook-timestamp"]) + 30,
		);
		expect(second.headers["webhook-signature"]).not.toBe(first.headers["webhook-signature"]);
		expect(second.body).toBe(first.body);
		expect(() => new Webhook(SECRET).verify(second.body, second.headers)).not.toThrow();
		expect(await deliveryRow(delivery.id)).toMatchObject({ status: "delivered", attempts: 2 });
	});

	it("keeps the receiver's answer short: a large error body is neither stored nor logged whole", async () => {
		const app = appEnv();
		const { delivery } = await onboarded(app);
		const huge = `broken ${"x".repeat(100_000)}`;
		await app.receiver({ fail: { status: 500, times: 1, body: huge } });
		const logs = captureLogs();
		await app.run("app_webhook");
		logs.restore();
		const row = await deliveryRow(delivery.id);
		expect(row?.last_error?.startsWith("answered 500: broken xxx")).toBe(true);
		expect(row?.last_error?.length).toBeLessThan(200);
		expect(logs.lines.join("\n").length).toBeLessThan(5_000);
	});

	it("fails a delivery once the schedule is spent, and sends it again on request with the same id", async () => {
		const app = appEnv();
		const { delivery } = await onboarded(app);
		await env.DB.prepare("update app_deliveries set attempts = ? where id = ?")
			.bind(RETRY_SCHEDULE_SECONDS.length, delivery.id)
			.run();
		await app.receiver({ fail: { status: 500, times: 1 } });
		const logs = captureLogs();
		await app.run("app_webhook");
		logs.restore();
		expect(await deliveryRow(delivery.id)).toMatchObject({ status: "failed", last_status: 500 });
		expect(logs.events("APP_WEBHOOK_FAILED")[0]).toMatchObject({ delivery_id: delivery.id });
		expect(app.sent).toEqual([]);

		const again = await adminApi(`/api/admin/deliveries/${delivery.id}/send-again`, { method: "POST" }, app.env);
		expect(again.status).toBe(202);
		expect(await deliveryRow(delivery.id)).toMatchObject({ status: "pending", attempts: 0 });
		await app.run("app_webhook");
		expect(await deliveryRow(delivery.id)).toMatchObject({ status: "delivered", attempts: 1 });
		const ids = (await app.deliveries()).map((d) => d.headers["webhook-id"]);
		expect(new Set(ids)).toEqual(new Set([delivery.id]));

		const twice = await adminApi(`/api/admin/deliveries/${delivery.id}/send-again`, { method: "POST" }, app.env);
		expect(twice.status).toBe(409);
		const unknown = await adminApi("/api/admin/deliveries/msg_nope/send-again", { method: "POST" }, app.env);
		expect(unknown.status).toBe(404);
	});

	it("lists deliveries for the console, failed and retrying first, with the last day's figures", async () => {
		const app = appEnv();
		const { delivery } = await onboarded(app);
		await app.receiver({ fail: { status: 502, times: 1 } });
		await app.run("app_webhook");
		const response = await adminApi("/api/admin/deliveries", {}, app.env);
		expect(response.status).toBe(200);
		const body = (await response.json()) as {
			configured: boolean;
			last_24h: { delivered: number; retrying: number; failed: number };
			deliveries: { id: string; status: string; attempts: number; last_status: number | null }[];
		};
		expect(body.configured).toBe(true);
		expect(body.last_24h.retrying).toBeGreaterThanOrEqual(1);
		const order = body.deliveries.map((d) => d.status);
		expect(order.indexOf("delivered") === -1 || order.lastIndexOf("pending") < order.indexOf("delivered")).toBe(true);
		expect(body.deliveries.find((d) => d.id === delivery.id)).toMatchObject({
			status: "pending",
			attempts: 1,
			last_status: 502,
		});
	});
});

describe("access.changed, from the same batch as its cause", () => {
	it("tells the app when a renewal fails, with the access it had before", async () => {
		const app = appEnv();
		const { client } = await onboarded(app);
		await app.run("app_webhook");
		const failed = renewalInvoice("invoice.payment_failed", client);
		expect((await postWebhook(payloadOf(failed), { env: app.env })).status).toBe(200);
		expect(app.sent.map((m) => m.body)).toEqual([
			expect.objectContaining({ type: "notice", kind: "payment_failed" }),
			{ type: "app_sync", clientId: client.clientId },
		]);
		await app.run("app_sync");
		await app.run("app_webhook");
		const received = (await app.deliveries()).at(-1);
		if (!received) throw new Error("nothing delivered");
		expect(JSON.parse(received.body)).toMatchObject({
			type: "access.changed",
			data: {
				crn: client.crn,
				email: client.email,
				plan_code: "starter",
				access: "past_due",
				reason: "payment_failed",
				previous_access: "active",
			},
		});
	});

	it("loses nothing when the message after the change is lost: the reconciler finds the plan's marker", async () => {
		const app = appEnv();
		const { client } = await onboarded(app);
		await app.run("app_webhook");
		const canceled = envelope(
			"customer.subscription.deleted",
			devSubscription(client.clientId, "canceled", nowSeconds(), { client_id: client.clientId }),
		);
		expect((await postWebhook(payloadOf(canceled), { env: app.env })).status).toBe(200);
		// The consumer never sees the message: the change is recorded with its marker all the same.
		app.sent.splice(0);
		const marked = await env.DB.prepare("select access_dirty_at from clients where id = ?")
			.bind(client.clientId)
			.first<number>("access_dirty_at");
		expect(marked).not.toBeNull();

		await runCron(Date.now() + 6 * 60_000, app.env);
		expect(app.sent.map((m) => m.body)).toContainEqual({ type: "app_sync", clientId: client.clientId });
		await app.run("app_sync");
		await app.run("app_webhook");
		const received = (await app.deliveries()).at(-1);
		expect(JSON.parse(received?.body ?? "{}")).toMatchObject({
			type: "access.changed",
			data: { access: "ended", reason: "canceled", previous_access: "active" },
		});
		const cleared = await env.DB.prepare("select access_dirty_at from clients where id = ?")
			.bind(client.clientId)
			.first<number | null>("access_dirty_at");
		expect(cleared).toBeNull();
	});

	it("tells the app when a grace period runs out, though no event arrives to say so", async () => {
		const app = appEnv();
		const { client } = await onboarded(app);
		await app.run("app_webhook");
		await postWebhook(payloadOf(renewalInvoice("invoice.payment_failed", client)), { env: app.env });
		await app.run("app_sync");
		await app.run("app_webhook");
		app.sent.splice(0);
		// Eight days on: the default seven days of grace have passed since the first failure.
		await env.DB.prepare("update clients set past_due_since = past_due_since - ? where id = ?")
			.bind(8 * 86_400_000, client.clientId)
			.run();
		await runCron(Date.now(), app.env);
		expect(app.sent.map((m) => m.body)).toContainEqual({ type: "app_sync", clientId: client.clientId });
		await app.run("app_sync");
		await app.run("app_webhook");
		expect(JSON.parse((await app.deliveries()).at(-1)?.body ?? "{}")).toMatchObject({
			type: "access.changed",
			data: { access: "suspended", reason: "grace_over", previous_access: "past_due" },
		});
	});

	it("sends nothing when a repeated event changes nothing the app knows", async () => {
		const app = appEnv();
		const { client } = await onboarded(app);
		await app.run("app_webhook");
		const paid = renewalInvoice("invoice.paid", client);
		await postWebhook(payloadOf(paid), { env: app.env });
		await app.run("app_sync");
		expect(await deliveriesOf(client.clientId)).toHaveLength(1);
		expect(app.sent).toEqual([]);
	});

	it("never holds up onboarding while the app's receiver is down", async () => {
		const app = appEnv();
		await app.receiver({ fail: { status: 503, times: 100 } });
		const client = await createClient();
		const jobId = await insertJob(client.clientId);
		await runQueueBatch("onboarding-work", [provisionMessage(jobId, client.clientId)], 1, app.env);
		const job = await env.DB.prepare("select state from jobs where id = ?").bind(jobId).first<string>("state");
		expect(job).toBe("WELCOME_EMAIL_SENT");
		// Provisioning itself never called the receiver.
		expect(await app.deliveries()).toHaveLength(0);
	});
});

describe("the retry schedule", () => {
	it("retries within a minute first, then minutes, then hours, for more than a day", () => {
		expect(nextAttemptDelaySeconds(1)).toBeLessThanOrEqual(60);
		const delays = RETRY_SCHEDULE_SECONDS.map((_, i) => nextAttemptDelaySeconds(i + 1) ?? 0);
		expect(delays).toEqual([...delays].sort((a, b) => a - b));
		expect(delays.some((d) => d >= 60 && d < 3600)).toBe(true);
		expect(delays.some((d) => d >= 3600)).toBe(true);
		expect(RETRY_WINDOW_SECONDS).toBeGreaterThan(24 * 3600);
		expect(nextAttemptDelaySeconds(RETRY_SCHEDULE_SECONDS.length + 1)).toBeNull();
	});
});
