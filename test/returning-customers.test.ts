import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
	checkoutCompleted,
	countOf,
	createClient,
	customerWithPassword,
	login,
	me,
	outboxToken,
	paidClient,
	payloadOf,
	postWebhook,
	setPassword,
	setupStatus,
	uniqueId,
	waitForEmails,
	waitForJobState,
} from "./support/helpers";

const PASSWORD = "a long and unusual passphrase";

/** A customer who paid once and set a password. */
async function buyAgain(email: string, plan_code = "pro") {
	const client = await createClient({ email, plan_code });
	await postWebhook(payloadOf(checkoutCompleted(client)));
	const job = await waitForJobState(client.clientId, "WELCOME_EMAIL_SENT");
	return { client, job };
}

describe("a returning customer", () => {
	it("with a password: the new plan joins the same login, no set-password link is sent, and login lists both plans", async () => {
		const { client: first } = await customerWithPassword(PASSWORD);
		const { client: second } = await buyAgain(first.email);

		expect(await countOf("users", { email: first.email })).toBe(1);
		const [newest, welcome] = await waitForEmails(first.email, 2);
		expect(newest?.subject).toBe("Your Pro plan is active");
		expect(newest?.text_body).toContain("/login");
		expect(newest?.text_body).not.toContain("set-password");
		expect(welcome?.subject).toBe("Your portal is ready: set your password");
		// Only the first purchase ever minted a link.
		expect(
			await countOf("password_tokens", {
				user_id: (
					await env.DB.prepare("select id from users where email = ?").bind(first.email).first<{ id: string }>()
				)?.id,
			}),
		).toBe(1);

		expect((await setupStatus(second)).body).toMatchObject({
			payment_state: "paid",
			provisioning_state: "completed",
			password_state: "set",
			next_action: "go_to_dashboard",
		});
		const { cookie } = await login(first.email, PASSWORD);
		const account = await me(cookie);
		expect(account.status).toBe(200);
		expect(account.body.subscriptions.map((s) => [s.crn, s.plan_code, s.access]).sort()).toEqual(
			[
				[first.crn, "starter", "active"],
				[second.crn, "pro", "active"],
			].sort(),
		);
	});

	it("without a password: the new plan joins the login and a fresh set-password link is sent", async () => {
		const first = await paidClient();
		const firstToken = await outboxToken(first.client.email);
		const { client: second } = await buyAgain(first.client.email);

		expect(await countOf("users", { email: first.client.email })).toBe(1);
		const [newest] = await waitForEmails(first.client.email, 2);
		expect(newest?.subject).toBe("Your portal is ready: set your password");
		const secondToken = await outboxToken(first.client.email);
		expect(secondToken).not.toBe(firstToken);
		expect((await setupStatus(second)).body).toMatchObject({ password_state: "not_sent", next_action: "set_password" });

		// Either link sets the one password; then the other is void.
		expect((await setPassword(secondToken, PASSWORD)).status).toBe(200);
		expect(await (await setPassword(firstToken, `${PASSWORD} 2`)).json()).toMatchObject({ error: "token_used" });
		expect((await setupStatus(first.client)).body).toMatchObject({ password_state: "set" });
	});

	it("paying for two plans at once still ends with one login, and both jobs complete", async () => {
		const email = `${uniqueId("twice")}@example.com`;
		const [a, b] = await Promise.all([createClient({ email }), createClient({ email, plan_code: "pro" })]);
		if (!a || !b) throw new Error("checkouts failed");
		await Promise.all([postWebhook(payloadOf(checkoutCompleted(a))), postWebhook(payloadOf(checkoutCompleted(b)))]);
		await Promise.all([
			waitForJobState(a.clientId, "WELCOME_EMAIL_SENT"),
			waitForJobState(b.clientId, "WELCOME_EMAIL_SENT"),
		]);
		expect(await countOf("users", { email })).toBe(1);
		const owners = await env.DB.prepare("select distinct user_id from clients where email = ?").bind(email).all();
		expect(owners.results).toHaveLength(1);
		expect(owners.results[0]?.user_id).toBeTruthy();
	});
});
