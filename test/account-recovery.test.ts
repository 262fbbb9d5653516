import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
	adminApi,
	captureLogs,
	createClient,
	customerWithPassword,
	login,
	me,
	outboxToken,
	paidClient,
	requestReset,
	requestSetupLink,
	setPassword,
	uniqueId,
	waitFor,
	waitForEmails,
} from "./support/helpers";

const PASSWORD = "a long and unusual passphrase";
const NEW_PASSWORD = "another quite different phrase";

/** The token of the newest email, once there are `count` emails to this address. */
async function linkFromEmail(email: string, count: number) {
	const [newest] = await waitForEmails(email, count);
	return { subject: newest?.subject, token: await outboxToken(email) };
}

describe("password reset", () => {
	it("answers a known and an unknown email identically, and only the known one gets an email", async () => {
		const { client } = await customerWithPassword(PASSWORD);
		const stranger = `${uniqueId("nobody")}@example.com`;
		const logs = captureLogs();
		const known = await requestReset(client.email);
		const unknown = await requestReset(stranger);
		expect(known.status).toBe(202);
		expect(unknown.status).toBe(202);
		expect(await known.text()).toBe(await unknown.text());
		expect([...known.headers.keys()].sort()).toEqual([...unknown.headers.keys()].sort());
		await waitForEmails(client.email, 2);
		await waitFor(async () => logs.events("LINK_SKIPPED").length > 0);
		logs.restore();
		expect(logs.events("LINK_SKIPPED")[0]).toMatchObject({ purpose: "reset", reason: "no_login" });
		expect(
			await env.DB.prepare("select count(*) as n from outbox where to_address = ?").bind(stranger).first("n"),
		).toBe(0);
		expect(logs.lines.join("\n")).not.toContain(stranger);
	});

	it("sends a single-use link that sets a new password, ends every session and voids older links", async () => {
		const { client } = await customerWithPassword(PASSWORD);
		const before = await login(client.email, PASSWORD);
		expect((await me(before.cookie)).status).toBe(200);

		await requestReset(client.email);
		const older = await linkFromEmail(client.email, 2);
		expect(older.subject).toBe("Reset your portal password");
		await requestReset(client.email);
		const newer = await linkFromEmail(client.email, 3);
		expect(newer.token).not.toBe(older.token);

		expect((await setPassword(newer.token, NEW_PASSWORD)).status).toBe(200);
		// The session that was open before is over, server-side.
		expect((await me(before.cookie)).status).toBe(401);
		expect((await login(client.email, PASSWORD)).response.status).toBe(401);
		expect((await login(client.email, NEW_PASSWORD)).response.status).toBe(200);
		// Single use, and the older link is void too.
		expect(await (await setPassword(newer.token, `${NEW_PASSWORD}!`)).json()).toMatchObject({ error: "token_used" });
		expect(await (await setPassword(older.token, `${NEW_PASSWORD}!`)).json()).toMatchObject({ error: "token_used" });
	});

	it("expires a reset link after an hour with 410", async () => {
		const { client } = await customerWithPassword(PASSWORD);
		await requestReset(client.email);
		const { token } = await linkFromEmail(client.email, 2);
		const row = await env.DB.prepare(
			"select created_at, expires_at from password_tokens where purpose = 'reset' and user_id = (select id from users where email = ?)",
		)
			.bind(client.email)
			.first<{ created_at: number; expires_at: number }>();
		expect((row?.expires_at ?? 0) - (row?.created_at ?? 0)).toBe(3_600_000);
		await env.DB.prepare("update password_tokens set expires_at = ? where purpose = 'reset'")
			.bind(Date.now() - 1)
			.run();
		const response = await setPassword(token, NEW_PASSWORD);
		expect(response.status).toBe(410);
		expect(await response.json()).toMatchObject({ error: "token_expired" });
		expect((await login(client.email, PASSWORD)).response.status).toBe(200);
	});

	it("limits requests per address and per email with a 429 JSON error, unknown emails included", async () => {
		const ip = `198.51.100.${Math.floor(Math.random() * 250)}`;
		const fromOneAddress = [];
		for (let i = 0; i < 6; i++)
			fromOneAddress.push((await requestReset(`${uniqueId("a")}@example.com`, { "cf-connecting-ip": ip })).status);
		expect(fromOneAddress).toEqual([202, 202, 202, 202, 202, 429]);

		for (const email of [(await customerWithPassword(PASSWORD)).client.email, `${uniqueId("ghost")}@example.com`]) {
			const statuses = [];
			for (let i = 0; i < 4; i++) statuses.push(await requestReset(email));
			expect(statuses.map((r) => r.status)).toEqual([202, 202, 202, 429]);
			const limited = statuses[3];
			expect(limited?.headers.get("retry-after")).toBe("60");
			expect(await limited?.json()).toMatchObject({ error: "rate_limited", message: expect.any(String) });
		}
	});

	it("answers a malformed email with 400 and sends nothing", async () => {
		const response = await requestReset("not an email");
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({ error: "invalid_request" });
	});
});

describe("send the set-password email again", () => {
	it("answers 202 with a fresh link, then 429 within the minute, then 409 once the password is set", async () => {
		const { client } = await paidClient();
		const welcome = await outboxToken(client.email);
		const first = await requestSetupLink(client.token);
		expect(first.status).toBe(202);
		expect(await first.json()).toEqual({ ok: true });
		const again = await linkFromEmail(client.email, 2);
		expect(again.subject).toBe("Your set-password link");
		expect(again.token).not.toBe(welcome);

		const tooSoon = await requestSetupLink(client.token);
		expect(tooSoon.status).toBe(429);
		expect(await tooSoon.json()).toMatchObject({ error: "rate_limited" });

		// A minute later it may send again; once the password is set it refers to password reset.
		await env.DB.prepare("update users set link_requested_at = ? where email = ?")
			.bind(Date.now() - 61_000, client.email)
			.run();
		expect((await setPassword(again.token, PASSWORD)).status).toBe(200);
		const afterSet = await requestSetupLink(client.token);
		expect(afterSet.status).toBe(409);
		expect(await afterSet.json()).toMatchObject({ error: "password_already_set" });
	});

	it("answers 404 for an unknown onboarding token and 409 not_ready before provisioning", async () => {
		const unknown = await requestSetupLink("A".repeat(43));
		expect(unknown.status).toBe(404);
		expect(await unknown.json()).toMatchObject({ error: "not_found" });
		expect((await requestSetupLink("short")).status).toBe(404);
		const unpaid = await createClient();
		const notReady = await requestSetupLink(unpaid.token);
		expect(notReady.status).toBe(409);
		expect(await notReady.json()).toMatchObject({ error: "not_ready" });
	});
});

describe("support", () => {
	it("sends a fresh link by CRN, which also resets a password that was set", async () => {
		const { client } = await customerWithPassword(PASSWORD);
		const response = await adminApi(`/api/admin/clients/${client.crn}/setup-link`, { method: "POST" });
		expect(response.status).toBe(202);
		expect(await response.json()).toEqual({ ok: true, resets_password: true });
		const link = await linkFromEmail(client.email, 2);
		expect(link.subject).toBe("A link to set your portal password");
		expect((await setPassword(link.token, NEW_PASSWORD)).status).toBe(200);
		expect((await login(client.email, NEW_PASSWORD)).response.status).toBe(200);
		const lookup = (await (await adminApi(`/api/admin/clients/${client.crn}`)).json()) as {
			links: Array<{ purpose: string; used_at: number | null }>;
		};
		expect(lookup.links.map((l) => l.purpose)).toEqual(["support", "welcome"]);
		expect(JSON.stringify(lookup)).not.toContain(link.token);
	});

	it("answers 404 for an unknown CRN and 409 for a customer with no login yet", async () => {
		expect((await adminApi("/api/admin/clients/CRN-NOPE-NOPE/setup-link", { method: "POST" })).status).toBe(404);
		const unpaid = await createClient();
		const response = await adminApi(`/api/admin/clients/${unpaid.crn}/setup-link`, { method: "POST" });
		expect(response.status).toBe(409);
		expect(await response.json()).toMatchObject({ error: "not_ready" });
	});

	it("answers 404 not_found for an unknown job and 409 only for one that cannot be retried", async () => {
		const unknown = await adminApi(`/api/admin/jobs/${crypto.randomUUID()}/retry`, { method: "POST" });
		expect(unknown.status).toBe(404);
		expect(await unknown.json()).toMatchObject({ error: "not_found" });
		const { job } = await paidClient();
		const done = await adminApi(`/api/admin/jobs/${job.id}/retry`, { method: "POST" });
		expect(done.status).toBe(409);
		expect(await done.json()).toMatchObject({ error: "not_retryable" });
	});
});
