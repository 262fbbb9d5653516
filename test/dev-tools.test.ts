import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, countOf, envWith, setupStatus, uniqueId, waitForJobState } from "./support/helpers";

/** Where `npm run dev` serves: the dev tools answer only requests to a loopback host. */
const LOCAL = "http://127.0.0.1:8787";

/** `npm run dev` on a fresh clone: no Stripe key, no webhook secret, DEV_TOOLS=1. */
const devEnv = () =>
	envWith({ DEV_TOOLS: "1", STRIPE_SECRET_KEY: "", STRIPE_WEBHOOK_SECRET_TEST: "", STRIPE_WEBHOOK_SECRET: "" });

async function devCheckout(customEnv: Env) {
	const email = `${uniqueId("dev")}@example.com`;
	const response = await api(
		"/api/checkout",
		{ method: "POST", json: { email, name: "Dev Person", plan_code: "starter" } },
		customEnv,
	);
	expect(response.status).toBe(200);
	const body = (await response.json()) as { checkout_url: string; client_id: string; status_url: string };
	const url = new URL(body.checkout_url);
	return {
		email,
		body,
		session: url.searchParams.get("session") ?? "",
		success: url.searchParams.get("success") ?? "",
	};
}

describe("development checkout stand-in", () => {
	it("walks the whole flow offline through the real webhook route", async () => {
		const dev = devEnv();
		const { email, body, session, success } = await devCheckout(dev);
		expect(body.checkout_url).toMatch(/^http:\/\/127\.0\.0\.1:8787\/dev\/checkout\?session=cs_dev_/);
		expect(success).toMatch(/^http:\/\/127\.0\.0\.1:8787\/onboarding\?t=[A-Za-z0-9_-]{43}$/);

		const info = await api(`${LOCAL}/api/dev/checkout/${session}`, {}, dev);
		expect(await info.json()).toMatchObject({
			id: session,
			email,
			plan_code: "starter",
			amount_display: "$29 / month",
			paid: false,
		});

		const pay = await api(
			`${LOCAL}/api/dev/checkout/${session}/pay`,
			{ method: "POST", json: { success_url: success } },
			dev,
		);
		expect(pay.status).toBe(200);
		const paid = (await pay.json()) as { redirect_url: string; event_id: string };
		expect(paid.redirect_url).toBe(success);
		// It went through the webhook route: the event is in the ledger, signed with the built-in dev secret.
		expect(await countOf("webhook_events", { id: paid.event_id })).toBe(1);
		await waitForJobState(body.client_id, "WELCOME_EMAIL_SENT");

		const status = await setupStatus(
			{ statusUrl: new URL(body.status_url).pathname + new URL(body.status_url).search },
			dev,
		);
		expect(status.body).toMatchObject({ next_action: "set_password", dev: { outbox_url: "/dev/outbox" } });
		const outbox = (await (await api(`${LOCAL}/api/dev/outbox`, {}, dev)).json()) as {
			messages: Array<{ to: string; links: string[] }>;
		};
		const mine = outbox.messages.find((m) => m.to === email);
		expect(mine?.links[0]).toMatch(/\/set-password\?token=[A-Za-z0-9_-]{43}$/);
	});

	it("refuses to redirect anywhere but our own onboarding page", async () => {
		const dev = devEnv();
		const { session } = await devCheckout(dev);
		const pay = await api(
			`${LOCAL}/api/dev/checkout/${session}/pay`,
			{ method: "POST", json: { success_url: "https://evil.example/" } },
			dev,
		);
		expect(((await pay.json()) as { redirect_url: string }).redirect_url).toBe("http://127.0.0.1:8787/");
	});

	it("uses the operator's own webhook secret when one is configured", async () => {
		const dev = envWith({
			DEV_TOOLS: "1",
			STRIPE_SECRET_KEY: "",
			STRIPE_WEBHOOK_SECRET_TEST: "whsec_operatorOwn66666666666666",
		});
		const { session, success } = await devCheckout(dev);
		const pay = await api(
			`${LOCAL}/api/dev/checkout/${session}/pay`,
			{ method: "POST", json: { success_url: success } },
			dev,
		);
		expect(pay.status).toBe(200);
	});

	it("does not exist without DEV_TOOLS, and cannot be enabled with a Stripe key", async () => {
		for (const custom of [
			env,
			envWith({ DEV_TOOLS: "1" }),
			envWith({ DEV_TOOLS: "1", STRIPE_SECRET_KEY: "sk_live_devLive000000000000" }),
		]) {
			expect((await api(`${LOCAL}/api/dev/outbox`, {}, custom)).status).toBe(404);
			expect((await api(`${LOCAL}/dev/outbox`, {}, custom)).status).toBe(404);
			expect((await api(`${LOCAL}/api/dev/checkout/cs_dev_x/pay`, { method: "POST", json: {} }, custom)).status).toBe(
				404,
			);
		}
	});

	it("reports mode unconfigured in development", async () => {
		expect(await (await api("/api/health", {}, devEnv())).json()).toEqual({ ok: false, mode: "unconfigured" });
	});
});
