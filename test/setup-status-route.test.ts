import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createClient, paidClient, setupStatus } from "./support/helpers";

describe("GET /api/portal/setup-status", () => {
	it("answers the read model for a fresh checkout: confirming once the customer is back", async () => {
		const client = await createClient();
		const response = await api(client.statusUrl);
		expect(response.status).toBe(200);
		expect(response.headers.get("cache-control")).toBe("no-store");
		expect(response.headers.get("referrer-policy")).toBe("no-referrer");
		const body = await response.json();
		expect(body).toEqual({
			crn: client.crn,
			payment_state: "confirming",
			provisioning_state: "not_started",
			password_state: "not_sent",
			next_action: "wait_provisioning",
			access: "suspended",
			reason: "payment_pending",
			plan_code: "starter",
			support_email: "support@example.com",
			updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
		});
	});

	it("advances to completed with next action set_password after the webhook", async () => {
		const { client } = await paidClient();
		expect((await setupStatus(client)).body).toMatchObject({
			payment_state: "paid",
			provisioning_state: "completed",
			password_state: "not_sent",
			next_action: "set_password",
			access: "active",
			reason: "paid",
		});
	});

	it("answers the same 404 for a missing, malformed or unknown token", async () => {
		const bodies = [];
		for (const query of ["", "?t=", "?t=short", `?t=${"A".repeat(43)}`, `?t=${"A".repeat(42)}%00`, "?t=../../etc"]) {
			const response = await api(`/api/portal/setup-status${query}`);
			expect(response.status).toBe(404);
			bodies.push(await response.text());
		}
		expect(new Set(bodies).size).toBe(1);
		expect(JSON.parse(bodies[0] ?? "")).toEqual({ error: "not_found", message: "This onboarding link is not valid." });
	});

	it("never stores the onboarding token itself", async () => {
		const client = await createClient();
		const row = await env.DB.prepare("select * from clients where id = ?").bind(client.clientId).first();
		expect(JSON.stringify(row)).not.toContain(client.token);
	});
});
