import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
	checkoutCompleted,
	createClient,
	paidClient,
	payloadOf,
	postWebhook,
	setupStatus,
	standInRequests,
	waitForJobState,
} from "./support/helpers";

/** The real bindings, counting every D1 round trip and queue send. */
function countingEnv() {
	const counts = { d1: 0, batches: 0, sends: 0 };
	const wrapStatement = (statement: D1PreparedStatement): D1PreparedStatement =>
		new Proxy(statement, {
			get(target, prop) {
				const value = Reflect.get(target, prop);
				if (typeof value !== "function") return value;
				if (prop === "bind") return (...args: unknown[]) => wrapStatement(value.apply(target, args));
				if (["first", "all", "run", "raw"].includes(String(prop))) {
					return (...args: unknown[]) => {
						counts.d1++;
						return value.apply(target, args);
					};
				}
				return value.bind(target);
			},
		});
	const DB = new Proxy(env.DB, {
		get(target, prop) {
			const value = Reflect.get(target, prop);
			if (prop === "prepare") return (sql: string) => wrapStatement(target.prepare(sql));
			if (prop === "batch") {
				return (statements: D1PreparedStatement[]) => {
					counts.d1++;
					counts.batches++;
					return target.batch(statements);
				};
			}
			return typeof value === "function" ? value.bind(target) : value;
		},
	});
	const WORK_QUEUE = {
		send: (...args: Parameters<Queue["send"]>) => {
			counts.sends++;
			return env.WORK_QUEUE.send(...args);
		},
		sendBatch: (...args: Parameters<Queue["sendBatch"]>) => {
			counts.sends++;
			return env.WORK_QUEUE.sendBatch(...args);
		},
	};
	return { env: { ...env, DB, WORK_QUEUE } as unknown as Env, counts };
}

afterEach(() => {
	vi.restoreAllMocks();
});

describe("binding round trips per request", () => {
	it("a webhook for a real client does exactly one D1 batch and one queue send", async () => {
		const client = await createClient();
		const { env: counted, counts } = countingEnv();
		const response = await postWebhook(payloadOf(checkoutCompleted(client)), { env: counted });
		expect(response.status).toBe(200);
		expect(counts).toEqual({ d1: 1, batches: 1, sends: 1 });
	});

	it("a duplicate webhook does one D1 batch and no send", async () => {
		const client = await createClient();
		const payload = payloadOf(checkoutCompleted(client));
		await postWebhook(payload);
		await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
		const { env: counted, counts } = countingEnv();
		await postWebhook(payload, { env: counted });
		expect(counts).toEqual({ d1: 1, batches: 1, sends: 0 });
	});

	it("a status poll of a settled session does one D1 read and no Stripe call", async () => {
		const { client } = await paidClient();
		const fetchSpy = vi.spyOn(globalThis, "fetch");
		const { env: counted, counts } = countingEnv();
		const { body } = await setupStatus(client, counted);
		expect(body.provisioning_state).toBe("completed");
		expect(counts).toEqual({ d1: 1, batches: 0, sends: 0 });
		expect(fetchSpy).not.toHaveBeenCalled();
		expect(await standInRequests(`/v1/checkout/sessions/${client.sessionId}`)).toHaveLength(0);
	});
});
