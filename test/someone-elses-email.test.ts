// A purchase made with someone else's email cannot write into their account:
// the owner keeps their name, is told a plan was added, sees it marked, and
// support can take it off their login. Names are plain text.
import { describe, expect, it } from "vitest";
import { linkMessage } from "../src/work/messages";
import {
	adminApi,
	api,
	checkoutCompleted,
	createClient,
	customerWithPassword,
	login,
	me,
	payloadOf,
	postWebhook,
	runQueueBatch,
	waitForEmails,
	waitForJobState,
} from "./support/helpers";

const PASSWORD = "a long and unusual passphrase";
const STRANGER = "Mallory Intruder";

/** The owner (Ada Lovelace, with a password) and a stranger's later purchase with the owner's email. */
async function ownerAndStranger() {
	const { client: owner } = await customerWithPassword(PASSWORD);
	const stranger = await createClient({ email: owner.email, name: STRANGER, plan_code: "pro" });
	await postWebhook(payloadOf(checkoutCompleted(stranger)));
	await waitForJobState(stranger.clientId, "WELCOME_EMAIL_SENT");
	return { owner, stranger };
}

describe("a purchase with someone else's email", () => {
	it("keeps the stranger's name out of the owner's emails and tells the owner a plan was added that support can remove", async () => {
		const { owner } = await ownerAndStranger();
		const [added] = await waitForEmails(owner.email, 2);
		expect(added?.subject).toBe("Your Pro plan is active");
		expect(added?.text_body).toContain("Hello Ada Lovelace,");
		expect(added?.text_body).toContain("added to your portal login");
		expect(added?.text_body).toMatch(/support can remove it/);
		expect(added?.text_body).not.toContain(STRANGER);

		// A reset email after it greets the owner by the owner's name too.
		await runQueueBatch("onboarding-work", [linkMessage("reset", owner.email)]);
		const [reset] = await waitForEmails(owner.email, 3);
		expect(reset?.subject).toBe("Reset your portal password");
		expect(reset?.text_body).toContain("Hello Ada Lovelace,");
		expect(reset?.text_body).not.toContain(STRANGER);
	});

	it("greets the owner by their own name on the dashboard and marks the added plan", async () => {
		const { owner, stranger } = await ownerAndStranger();
		const { cookie } = await login(owner.email, PASSWORD);
		const account = await me(cookie);
		expect(account.body.name).toBe("Ada Lovelace");
		expect(JSON.stringify(account.body)).not.toContain(STRANGER);
		const plans = account.body.subscriptions as unknown as Array<{ crn: string; added_to_existing_login: boolean }>;
		expect(plans.find((p) => p.crn === stranger.crn)?.added_to_existing_login).toBe(true);
		expect(plans.find((p) => p.crn === owner.crn)?.added_to_existing_login).toBe(false);
	});

	it("lets support detach the added plan from the login, and never the plan that created it", async () => {
		const { owner, stranger } = await ownerAndStranger();
		const view = (await (await adminApi(`/api/admin/clients/${stranger.crn}`)).json()) as {
			detachable: boolean;
			added_to_login_at: number | null;
		};
		expect(view).toMatchObject({ detachable: true, added_to_login_at: expect.any(Number) });

		const detached = await adminApi(`/api/admin/clients/${stranger.crn}/detach`, { method: "POST" });
		expect(detached.status).toBe(200);
		const { cookie } = await login(owner.email, PASSWORD);
		const crns = (await me(cookie)).body.subscriptions.map((s) => s.crn);
		expect(crns).toEqual([owner.crn]);

		expect((await adminApi(`/api/admin/clients/${stranger.crn}/detach`, { method: "POST" })).status).toBe(409);
		const own = await adminApi(`/api/admin/clients/${owner.crn}/detach`, { method: "POST" });
		expect(own.status).toBe(409);
		expect(await own.json()).toMatchObject({ error: "first_plan" });
		expect((await adminApi("/api/admin/clients/CRN-NOPE-NOPE/detach", { method: "POST" })).status).toBe(404);
	});
});

describe("names", () => {
	it("are stored as plain text on one line at checkout", async () => {
		const client = await createClient({ name: "Ada\r\nBcc: victim@example.com\u2028Lovelace\u0007" });
		const view = (await (await adminApi(`/api/admin/clients/${client.crn}`)).json()) as { client: { name: string } };
		expect(view.client.name).toBe("Ada Bcc: victim@example.com Lovelace");
	});

	it("refuse a name of nothing but control characters", async () => {
		const response = await api("/api/checkout", {
			method: "POST",
			json: { email: "someone@example.com", name: "\u0000\u0001\n", plan_code: "starter" },
		});
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({ fields: { name: expect.any(String) } });
	});
});
