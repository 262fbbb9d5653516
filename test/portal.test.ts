import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { PBKDF2_ITERATIONS } from "../src/onboarding/accounts";
import { passwordProblem } from "../src/rules/password-policy";
import {
	api,
	captureLogs,
	devIds,
	expectNoSecrets,
	outboxToken,
	paidClient,
	setupStatus,
	standInRequests,
} from "./support/helpers";

const PASSWORD = "correct horse battery staple";

/** A provisioned client and the set-password token from its welcome email. */
async function welcomedClient() {
	const { client } = await paidClient();
	return { client, token: await outboxToken(client.email) };
}

const setPassword = (json: unknown) => api("/api/portal/password", { method: "POST", json });
const login = (email: string, password: string) =>
	api("/api/portal/login", { method: "POST", json: { email, password } });

function sessionCookie(response: Response): string {
	const header = response.headers.get("set-cookie") ?? "";
	return header.split(";")[0] ?? "";
}

async function loggedIn() {
	const { client, token } = await welcomedClient();
	await setPassword({ token, password: PASSWORD });
	const response = await login(client.email, PASSWORD);
	return { client, cookie: sessionCookie(response), response };
}

describe("set password", () => {
	it("sets the password once with the emailed token; the status page then says go_to_dashboard", async () => {
		const { client, token } = await welcomedClient();
		const logs = captureLogs();
		const response = await setPassword({ token, password: PASSWORD });
		logs.restore();
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual({ ok: true });
		const user = await env.DB.prepare(
			"select password_hash, password_salt, password_iterations from users where client_id = ?",
		)
			.bind(client.clientId)
			.first<Record<string, string | number>>();
		expect(user?.password_hash).toMatch(/^[0-9a-f]{64}$/);
		expect(user?.password_salt).toMatch(/^[0-9a-f]{32}$/);
		expect(user?.password_iterations).toBe(PBKDF2_ITERATIONS);
		expect((await setupStatus(client)).body).toMatchObject({ password_state: "set", next_action: "go_to_dashboard" });
		expect(logs.lines.join("\n")).not.toContain(PASSWORD);
		expect(logs.lines.join("\n")).not.toContain(token);
	});

	it("bans the email in the password, but not every letter of a short local part", () => {
		expect(passwordProblem("my ada@example.com pass", "ada@example.com")).toBe(
			"Do not use your email address in the password.",
		);
		expect(passwordProblem("grace-hopper-2026", "grace@example.com")).toBe(
			"Do not use your email address in the password.",
		);
		expect(passwordProblem("a long and unusual passphrase", "a@example.com")).toBeNull();
	});

	it("refuses a second use of the token with 400 token_used", async () => {
		const { token } = await welcomedClient();
		await setPassword({ token, password: PASSWORD });
		const again = await setPassword({ token, password: `${PASSWORD} again` });
		expect(again.status).toBe(400);
		expect(await again.json()).toMatchObject({ error: "token_used" });
	});

	it("lets only one of two concurrent uses win", async () => {
		const { token } = await welcomedClient();
		const results = await Promise.all([
			setPassword({ token, password: PASSWORD }),
			setPassword({ token, password: `${PASSWORD} two` }),
		]);
		expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
	});

	it("answers 410 for an expired token", async () => {
		const { client, token } = await welcomedClient();
		await env.DB.prepare(
			"update password_tokens set expires_at = ? where user_id = (select id from users where client_id = ?)",
		)
			.bind(Date.now() - 1, client.clientId)
			.run();
		const response = await setPassword({ token, password: PASSWORD });
		expect(response.status).toBe(410);
		expect(await response.json()).toMatchObject({ error: "token_expired" });
	});

	it("answers 400 invalid_token for an unknown token and 400 for a missing field", async () => {
		expect(await (await setPassword({ token: "A".repeat(43), password: PASSWORD })).json()).toMatchObject({
			error: "invalid_token",
		});
		expect((await setPassword({ password: PASSWORD })).status).toBe(400);
	});

	it("enforces the password policy with a clear message", async () => {
		const { client, token } = await welcomedClient();
		for (const [password, message] of [
			["short", "Use at least 12 characters."],
			["aaaaaaaaaaaaaaaa", "Use a less repetitive password."],
			[`${client.email.split("@")[0]}-secret!`, "Do not use your email address in the password."],
		]) {
			const response = await setPassword({ token, password });
			expect(response.status).toBe(400);
			expect(await response.json()).toEqual({ error: "weak_password", message });
		}
	});
});

describe("login, session, logout", () => {
	it("logs in with a secure session cookie and answers /me", async () => {
		const { client, cookie, response } = await loggedIn();
		expect(response.status).toBe(200);
		const setCookie = response.headers.get("set-cookie") ?? "";
		// __Host-: only this origin may set or read it (Secure, Path=/, no Domain).
		expect(setCookie).toMatch(/^__Host-portal_session=[A-Za-z0-9_-]{43};/);
		expect(setCookie).toMatch(/Path=\//);
		expect(setCookie).not.toMatch(/Domain=/i);
		expect(setCookie).toMatch(/HttpOnly/);
		expect(setCookie).toMatch(/Secure/);
		expect(setCookie).toMatch(/SameSite=Lax/);
		const me = await api("/api/portal/me", { headers: { cookie } });
		expect(me.status).toBe(200);
		expect(await me.json()).toEqual({
			email: client.email,
			name: "Ada Lovelace",
			crn: client.crn,
			plan_code: "starter",
			plan_name: "Starter",
			subscription_status: "active",
			payment_state: "paid",
			subscriptions: [
				{
					crn: client.crn,
					plan_code: "starter",
					plan_name: "Starter",
					status: "active",
					access: "active",
					reason: "paid",
					current_period_end: null,
					grace_ends_at: null,
					added_to_existing_login: false,
				},
			],
		});
		// Only the session's hash is stored.
		const token = cookie.split("=")[1] ?? "";
		const stored = await env.DB.prepare("select count(*) as n from sessions where id_hash = ?")
			.bind(token)
			.first<{ n: number }>();
		expect(stored?.n).toBe(0);
	});

	it("gives the same generic answer for a wrong password and an unknown email", async () => {
		const { client, token } = await welcomedClient();
		await setPassword({ token, password: PASSWORD });
		const wrong = await login(client.email, "wrong password here");
		const unknown = await login("nobody@example.com", PASSWORD);
		expect(wrong.status).toBe(401);
		expect(unknown.status).toBe(401);
		expect(await wrong.text()).toBe(await unknown.text());
	});

	it("cannot log in before the password is set", async () => {
		const { client } = await welcomedClient();
		expect((await login(client.email, PASSWORD)).status).toBe(401);
	});

	it("ends the session server-side on logout", async () => {
		const { cookie } = await loggedIn();
		const out = await api("/api/portal/logout", { method: "POST", headers: { cookie, origin: "http://worker" } });
		expect(out.status).toBe(200);
		expect(out.headers.get("set-cookie")).toMatch(/Max-Age=0/);
		// The old cookie no longer works even if a browser kept it.
		expect((await api("/api/portal/me", { headers: { cookie } })).status).toBe(401);
	});

	it("answers 401 to /me without a session", async () => {
		const response = await api("/api/portal/me");
		expect(response.status).toBe(401);
		expect(await response.json()).toMatchObject({ error: "unauthenticated" });
	});

	it("refuses a cross-site form post", async () => {
		const response = await api("/api/portal/login", {
			method: "POST",
			body: "email=a&password=b",
			headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
		});
		expect(response.status).toBe(403);
	});
});

describe("billing", () => {
	it("returns a Stripe Billing Portal URL for the logged-in customer", async () => {
		const { client, cookie } = await loggedIn();
		const response = await api("/api/portal/billing", { method: "POST", headers: { cookie, origin: "http://worker" } });
		expect(response.status).toBe(200);
		const body = (await response.json()) as { url: string };
		expect(body.url).toMatch(/^https:\/\/billing\.stripe\.com\/p\/session\/bps_/);
		const customer = devIds(client.clientId).customer;
		const [request] = (await standInRequests(customer)).filter((r) => r.path === "/v1/billing_portal/sessions");
		expect(request?.form).toEqual({ customer, return_url: "http://127.0.0.1:8787/dashboard" });
		expectNoSecrets(JSON.stringify(body));
	});

	it("answers 401 without a session", async () => {
		expect((await api("/api/portal/billing", { method: "POST", headers: { origin: "http://worker" } })).status).toBe(
			401,
		);
	});
});
