// Calls into the real Worker: HTTP through its fetch handler, queue batches
// through its queue handler, cron through its scheduled handler, optionally
// under a modified environment.
import {
	createExecutionContext,
	createMessageBatch,
	createScheduledController,
	getQueueResult,
	waitOnExecutionContext,
} from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { RECONCILE_CRON } from "../../src/cron";
import worker from "../../src/index";
import { signatureFor, uniqueId } from "./stripe-events";
import { TEST_SECRETS } from "./test-secrets";

export const ADMIN_TOKEN = TEST_SECRETS.ADMIN_TOKEN;

/** Through the Worker's real fetch handler; with `customEnv`, under a modified environment. */
export async function callWorker(request: Request, customEnv?: Env): Promise<Response> {
	if (!customEnv) return exports.default.fetch(request);
	const ctx = createExecutionContext();
	const response = await worker.fetch(request, customEnv, ctx);
	await waitOnExecutionContext(ctx);
	return response;
}

export function envWith(overrides: Partial<Record<keyof Env, string>>): Env {
	return { ...env, ...overrides } as Env;
}

/** A fresh client address per request, so the per-IP rate limits only bite where a test means them to. */
function randomIp(): string {
	const b = crypto.getRandomValues(new Uint8Array(3));
	return `10.${b[0]}.${b[1]}.${b[2]}`;
}

export function api(path: string, init: RequestInit & { json?: unknown } = {}, customEnv?: Env) {
	const headers = new Headers(init.headers);
	if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", randomIp());
	let body = init.body;
	if (init.json !== undefined) {
		headers.set("content-type", "application/json");
		body = JSON.stringify(init.json);
	}
	// A path goes to the test host; a whole URL (a loopback host for the dev tools) as given.
	const url = path.startsWith("http") ? path : `http://worker${path}`;
	return callWorker(new Request(url, { ...init, headers, body }), customEnv);
}

export function adminApi(path: string, init: RequestInit & { json?: unknown } = {}, customEnv?: Env) {
	const headers = new Headers(init.headers);
	headers.set("authorization", `Bearer ${ADMIN_TOKEN}`);
	return api(path, { ...init, headers }, customEnv);
}

export async function postWebhook(
	payload: string,
	opts: { signature?: string | null; path?: string; env?: Env } = {},
): Promise<Response> {
	const signature = opts.signature === undefined ? await signatureFor(payload) : opts.signature;
	const headers: Record<string, string> = { "content-type": "application/json" };
	if (signature !== null) headers["stripe-signature"] = signature;
	const request = new Request(`http://worker${opts.path ?? "/api/webhook/stripe"}`, {
		method: "POST",
		headers,
		body: payload,
	});
	return callWorker(request, opts.env);
}

export async function setupStatus(client: { statusUrl: string }, customEnv?: Env) {
	const response = await api(client.statusUrl, {}, customEnv);
	return { status: response.status, body: (await response.json()) as Record<string, string> };
}

/** One run of the cron trigger, at `scheduledTime`. */
export async function runCron(scheduledTime = Date.now(), customEnv: Env = env, cron = RECONCILE_CRON) {
	await worker.scheduled(createScheduledController({ cron, scheduledTime }), customEnv, createExecutionContext());
}

/** One queue batch through the Worker's queue handler; returns what it acked and retried. */
export async function runQueueBatch(queue: string, bodies: unknown[], attempts = 1, customEnv: Env = env) {
	const batch = createMessageBatch(
		queue,
		bodies.map((body) => ({ id: uniqueId("msg-"), timestamp: new Date(), attempts, body })),
	);
	const ctx = createExecutionContext();
	await worker.queue(batch, customEnv, ctx);
	return getQueueResult(batch, ctx);
}
