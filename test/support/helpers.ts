// Factories and helpers shared by the worker tests: real-shaped Stripe events
// from the fixtures, signed with the stripe SDK's own test-header helper, and
// requests through the Worker's real fetch handler.
import { env, exports } from "cloudflare:workers";
import Stripe from "stripe";
import { vi } from "vitest";
import checkoutSessionFixture from "../fixtures/stripe/checkout.session.json";
import eventFixture from "../fixtures/stripe/event.json";
import invoiceFixture from "../fixtures/stripe/invoice.json";
import subscriptionFixture from "../fixtures/stripe/subscription.json";
import { TEST_SECRETS } from "./test-secrets";

export const WEBHOOK_SECRET = TEST_SECRETS.STRIPE_WEBHOOK_SECRET_TEST;
export const ADMIN_TOKEN = TEST_SECRETS.ADMIN_TOKEN;
export const ALL_SECRETS = Object.values(TEST_SECRETS).filter((s) => s !== "");

const stripe = new Stripe(TEST_SECRETS.STRIPE_SECRET_KEY, { httpClient: Stripe.createFetchHttpClient() });
const cryptoProvider = Stripe.createSubtleCryptoProvider();

let seq = 0;
export function uniqueId(prefix: string): string {
	seq++;
	return `${prefix}${Date.now().toString(36)}${seq}${crypto.randomUUID().replace(/-/g, "").slice(0, 10)}`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export interface EventOptions {
	id?: string;
	created?: number;
	livemode?: boolean;
}

export function envelope<T>(type: string, object: T, opts: EventOptions = {}) {
	return {
		...eventFixture,
		id: opts.id ?? uniqueId("evt_"),
		created: opts.created ?? nowSeconds(),
		livemode: opts.livemode ?? false,
		type,
		data: { object },
	};
}

export interface ClientRef {
	clientId: string;
	crn: string;
	sessionId: string;
	planCode?: string;
}

export function checkoutSessionObject(client: ClientRef, overrides: Record<string, unknown> = {}) {
	return {
		...checkoutSessionFixture,
		id: client.sessionId,
		client_reference_id: client.clientId,
		metadata: { client_id: client.clientId, plan_code: client.planCode ?? "starter", customer_reference: client.crn },
		customer: `cus_${client.clientId.slice(0, 8)}`,
		subscription: `sub_${client.clientId.slice(0, 8)}`,
		status: "complete",
		payment_status: "paid",
		...overrides,
	};
}

export function checkoutCompleted(client: ClientRef, overrides: Record<string, unknown> = {}, opts: EventOptions = {}) {
	return envelope("checkout.session.completed", checkoutSessionObject(client, overrides), opts);
}

export function subscriptionEvent(
	type: "customer.subscription.created" | "customer.subscription.updated" | "customer.subscription.deleted",
	client: ClientRef,
	status: string,
	opts: EventOptions = {},
) {
	return envelope(
		type,
		{
			...subscriptionFixture,
			id: `sub_${client.clientId.slice(0, 8)}`,
			customer: `cus_${client.clientId.slice(0, 8)}`,
			metadata: { client_id: client.clientId },
			status,
		},
		opts,
	);
}

export function invoiceEvent(
	type: "invoice.paid" | "invoice.payment_failed",
	client: ClientRef,
	opts: EventOptions = {},
) {
	return envelope(
		type,
		{
			...invoiceFixture,
			id: uniqueId("in_"),
			customer: `cus_${client.clientId.slice(0, 8)}`,
			status: type === "invoice.paid" ? "paid" : "open",
			parent: {
				...invoiceFixture.parent,
				subscription_details: {
					metadata: { client_id: client.clientId },
					subscription: `sub_${client.clientId.slice(0, 8)}`,
				},
			},
		},
		opts,
	);
}

/** Stripe sends pretty-printed JSON; we sign and post these exact bytes. */
export function payloadOf(event: unknown): string {
	return JSON.stringify(event, null, 2);
}

export async function signatureFor(payload: string, secret: string = WEBHOOK_SECRET, timestamp = nowSeconds()) {
	return stripe.webhooks.generateTestHeaderStringAsync({ payload, secret, timestamp, cryptoProvider });
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

/** Through the Worker's real fetch handler; with `env`, under a modified environment. */
export async function callWorker(request: Request, customEnv?: Env): Promise<Response> {
	if (!customEnv) return exports.default.fetch(request);
	const { default: worker } = await import("../../src/index");
	return worker.fetch(request, customEnv, { waitUntil() {}, passThroughOnException() {}, props: {} } as never);
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
	return callWorker(new Request(`http://worker${path}`, { ...init, headers, body }), customEnv);
}

export function adminApi(path: string, init: RequestInit & { json?: unknown } = {}, customEnv?: Env) {
	const headers = new Headers(init.headers);
	headers.set("authorization", `Bearer ${ADMIN_TOKEN}`);
	return api(path, { ...init, headers }, customEnv);
}

export interface CreatedClient extends ClientRef {
	email: string;
	token: string;
	statusUrl: string;
}

export async function createClient(
	overrides: { email?: string; name?: string; plan_code?: string } = {},
	customEnv?: Env,
): Promise<CreatedClient> {
	const email = overrides.email ?? `${uniqueId("buyer")}@example.com`;
	const response = await api(
		"/api/checkout",
		{
			method: "POST",
			json: { email, name: overrides.name ?? "Ada Lovelace", plan_code: overrides.plan_code ?? "starter" },
		},
		customEnv,
	);
	if (response.status !== 200) throw new Error(`checkout failed: ${response.status} ${await response.text()}`);
	const body = (await response.json()) as { client_id: string; crn: string; status_url: string };
	const row = await env.DB.prepare("select checkout_session_id from clients where id = ?")
		.bind(body.client_id)
		.first<{ checkout_session_id: string }>();
	const statusUrl = new URL(body.status_url);
	return {
		clientId: body.client_id,
		crn: body.crn,
		sessionId: row?.checkout_session_id ?? "",
		email,
		token: statusUrl.searchParams.get("t") ?? "",
		statusUrl: `${statusUrl.pathname}${statusUrl.search}`,
		planCode: overrides.plan_code ?? "starter",
	};
}

export async function setupStatus(client: { statusUrl: string }, customEnv?: Env) {
	const response = await api(client.statusUrl, {}, customEnv);
	return { status: response.status, body: (await response.json()) as Record<string, string> };
}

export async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 5_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value) return value;
		if (Date.now() > deadline) throw new Error("waitFor: timed out");
		await new Promise((r) => setTimeout(r, 25));
	}
}

export function jobOf(clientId: string) {
	return env.DB.prepare("select * from jobs where client_id = ?").bind(clientId).first<{
		id: string;
		state: string;
		attempts: number;
		last_error: string | null;
		source: string;
		requeues: number;
		updated_at: number;
	}>();
}

export async function countRows(sql: string, ...params: unknown[]): Promise<number> {
	const row = await env.DB.prepare(sql)
		.bind(...params)
		.first<{ n: number }>();
	return row?.n ?? 0;
}

export function waitForJobState(clientId: string, state: string, timeoutMs = 5_000) {
	return waitFor(async () => {
		const job = await jobOf(clientId);
		return job?.state === state ? job : undefined;
	}, timeoutMs);
}

/** Captures this test's log lines (console.log/error), parsed where they are JSON. */
export function captureLogs() {
	const lines: string[] = [];
	const grab = (...args: unknown[]) => {
		lines.push(args.map(String).join(" "));
	};
	const log = vi.spyOn(console, "log").mockImplementation(grab);
	const error = vi.spyOn(console, "error").mockImplementation(grab);
	return {
		lines,
		events(name?: string) {
			return lines
				.map((l) => {
					try {
						return JSON.parse(l) as Record<string, unknown>;
					} catch {
						return null;
					}
				})
				.filter((e): e is Record<string, unknown> => e !== null && (!name || e.event === name));
		},
		restore() {
			log.mockRestore();
			error.mockRestore();
		},
	};
}

export function expectNoSecrets(text: string) {
	for (const secret of ALL_SECRETS) {
		if (text.includes(secret)) throw new Error(`a secret leaked: ${secret.slice(0, 8)}…`);
	}
}

/** The stand-in's recorded requests whose content includes `contains`. */
export async function standInRequests(contains: string) {
	const response = await fetch(`${env.STAND_IN_URL}/__control/requests?contains=${encodeURIComponent(contains)}`);
	return (await response.json()) as Array<{
		method: string;
		path: string;
		form: Record<string, string>;
		headers: Record<string, string>;
		query: Record<string, string>;
		json: unknown;
	}>;
}

export async function standInControl(path: string, body: unknown) {
	const response = await fetch(`${env.STAND_IN_URL}/__control/${path}`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify(body),
	});
	return response.json();
}

export function envWith(overrides: Partial<Record<keyof Env, string>>): Env {
	return { ...env, ...overrides } as Env;
}
