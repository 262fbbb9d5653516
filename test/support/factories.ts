// Customers in a known state, made through the real routes where that is how
// the state arises, and written straight to D1 where a test needs a state the
// routes cannot reach on demand (a job stuck for ten minutes). Every id is fresh.
import { env } from "cloudflare:workers";
import type { JobState } from "../../src/rules/job-states";
import { seedStripe } from "./stand-in";
import { type ClientRef, checkoutCompleted, devIds, payloadOf, uniqueId } from "./stripe-events";
import { TEST_SECRETS } from "./test-secrets";
import { api, postWebhook } from "./worker";

export interface CreatedClient extends ClientRef {
	email: string;
	token: string;
	statusUrl: string;
}

/** A checkout through POST /api/checkout: the client row and its Stripe Checkout Session. */
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

/**
 * A client who paid: checkout, a signed checkout.session.completed, and the
 * real queue's provisioning. Stripe made the session's customer when it was
 * paid, so the stand-in knows it too (a later checkout of the login names it).
 */
export async function paidClient(overrides: Parameters<typeof createClient>[0] = {}) {
	const client = await createClient(overrides);
	await seedStripe(TEST_SECRETS.STRIPE_SECRET_KEY, {
		customers: [{ id: devIds(client.clientId).customer, email: client.email, name: overrides.name ?? "Ada Lovelace" }],
	});
	const event = checkoutCompleted(client);
	await postWebhook(payloadOf(event));
	const job = await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
	return { client, job, event };
}

/**
 * A job row written directly, for states the routes only reach with time or
 * failure: waiting with no message, stuck, retrying. The client is marked paid.
 */
export async function insertJob(
	clientId: string,
	opts: {
		state?: JobState;
		ageMs?: number;
		requeues?: number;
		attempts?: number;
		lastError?: string | null;
		source?: string;
	} = {},
): Promise<string> {
	const id = crypto.randomUUID();
	const at = Date.now() - (opts.ageMs ?? 0);
	await env.DB.batch([
		env.DB.prepare("update clients set checkout_status = 'complete', payment_status = 'paid' where id = ?").bind(
			clientId,
		),
		env.DB.prepare(
			`insert into jobs (id, client_id, state, attempts, last_error, source, requeues, queued_at, created_at, updated_at)
			values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		).bind(
			id,
			clientId,
			opts.state ?? "PAYMENT_CONFIRMED",
			opts.attempts ?? 0,
			opts.lastError ?? null,
			opts.source ?? "webhook",
			opts.requeues ?? 0,
			at,
			at,
			at,
		),
	]);
	return id;
}

const TABLES = ["clients", "jobs", "users", "password_tokens", "sessions", "webhook_events", "outbox"] as const;

/** Rows of `table` matching every column = value in `where`. */
export async function countOf(
	table: (typeof TABLES)[number],
	where: Record<string, string | number | null | undefined> = {},
): Promise<number> {
	if (!TABLES.includes(table)) throw new Error(`unknown table ${table}`);
	const columns = Object.keys(where);
	for (const column of columns) if (!/^[a-z_]+$/.test(column)) throw new Error(`bad column ${column}`);
	const clause = columns.length ? ` where ${columns.map((c) => `${c} = ?`).join(" and ")}` : "";
	const row = await env.DB.prepare(`select count(*) as n from ${table}${clause}`)
		.bind(...Object.values(where))
		.first<{ n: number }>();
	return row?.n ?? 0;
}

/** The outbox emails to `email`, newest first, once there are at least `count`. */
export function waitForEmails(email: string, count: number, timeoutMs = 5_000) {
	return waitFor(async () => {
		const { results } = await env.DB.prepare(
			"select subject, text_body, idempotency_key from outbox where to_address = ? order by created_at desc, rowid desc",
		)
			.bind(email)
			.all<{ subject: string; text_body: string; idempotency_key: string }>();
		return results.length >= count ? results : undefined;
	}, timeoutMs);
}

/** The set-password token in the newest outbox email to `email`. */
export async function outboxToken(email: string): Promise<string> {
	const mail = await env.DB.prepare(
		"select text_body from outbox where to_address = ? order by created_at desc, rowid desc",
	)
		.bind(email)
		.first<{ text_body: string }>();
	return mail?.text_body.match(/set-password\?token=([A-Za-z0-9_-]{43})/)?.[1] ?? "";
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
		state: JobState;
		attempts: number;
		last_error: string | null;
		source: string;
		requeues: number;
		updated_at: number;
	}>();
}

export function waitForJobState(clientId: string, state: JobState, timeoutMs = 5_000) {
	return waitFor(async () => {
		const job = await jobOf(clientId);
		return job?.state === state ? job : undefined;
	}, timeoutMs);
}

/** A client who paid and set `password` with the welcome email's link (the portal route, as the page does). */
export async function customerWithPassword(password: string) {
	const paid = await paidClient();
	const response = await api("/api/portal/password", {
		method: "POST",
		json: { token: await outboxToken(paid.client.email), password },
	});
	if (response.status !== 200) throw new Error(`set password failed: ${response.status}`);
	return paid;
}
