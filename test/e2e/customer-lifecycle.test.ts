// A customer's life after the first purchase, in Chromium against `wrangler dev`
// set up as `npm run dev` sets it up (dev tools, the outbox transport, no Stripe
// key): forgot password through the dev outbox, "Send the email again", a
// checkout that ends unpaid, the cancel notice, a returning customer's second
// plan, and the dashboard when a renewal fails and when the plan ends.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkoutSession } from "../../src/stripe/event-kit";
import { launchBrowser, newPage, shoot } from "./support/browser";
import { apiCheckout, type Checkout, devSubscriptionOf, pay, sendStripeEvent } from "./support/shop";
import { startWorker, type WorkerServer } from "./support/worker-server";

const PASSWORD = "a long and unusual passphrase";
const NEW_PASSWORD = "an entirely different phrase";
let worker: WorkerServer;
let browser: Browser;

beforeAll(async () => {
	worker = await startWorker({ DEV_TOOLS: "1", STRIPE_SECRET_KEY: "", MAIL_TRANSPORT: "outbox" });
	browser = await launchBrowser();
}, 600_000);

afterAll(async () => {
	await browser?.close();
	await worker?.stop();
});

interface OutboxMessage {
	to: string;
	subject: string;
	text: string;
	links: string[];
}

async function outbox(to: string): Promise<OutboxMessage[]> {
	const body = (await (await fetch(`${worker.url}/api/dev/outbox`)).json()) as { messages: OutboxMessage[] };
	return body.messages.filter((m) => m.to === to);
}

/** Waits for the `count`-th email to `to` and returns the newest. */
async function newestEmail(to: string, count: number): Promise<OutboxMessage> {
	await expect.poll(async () => (await outbox(to)).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(count);
	const [newest] = await outbox(to);
	if (!newest) throw new Error("no email");
	return newest;
}

async function paidCustomer(email: string, plan = "starter"): Promise<Checkout> {
	const checkout = await apiCheckout(worker.url, email, { plan });
	await pay(worker.url, checkout);
	return checkout;
}

async function setPasswordIn(page: Page, link: string, password: string) {
	await page.goto(link);
	await page.fill("#password", password);
	await page.fill("#confirm", password);
	await page.click("#submit");
	await expect.poll(() => page.locator("#success").isVisible()).toBe(true);
}

async function logIn(page: Page, email: string, password: string) {
	await page.goto(`${worker.url}/login`);
	await page.fill("#email", email);
	await page.fill("#password", password);
	await page.click("#submit");
	await page.waitForURL(/\/dashboard/);
}

describe("a customer over time, in a browser", () => {
	it("recovers a forgotten password through the login page and the dev outbox", async () => {
		const email = `forgot.${Date.now()}@example.com`;
		await paidCustomer(email);
		const page = await newPage(browser);
		await setPasswordIn(page, (await newestEmail(email, 1)).links[0] ?? "", PASSWORD);

		await page.goto(`${worker.url}/login`);
		await page.click("#forgot-link");
		await page.waitForURL(/\/forgot-password$/);
		await shoot(page, "20-forgot-password");
		await page.fill("#email", email);
		await page.click("#submit");
		await expect.poll(() => page.locator("#sent").isVisible()).toBe(true);
		expect(await page.locator("#sent-to").textContent()).toBe(email);
		await shoot(page, "21-forgot-password-sent");

		// The offline walkthrough reads the email in the dev outbox page.
		await page.goto(`${worker.url}/dev/outbox`);
		const resetLink = page
			.locator(".outbox-message", { hasText: "Reset your portal password" })
			.locator(".outbox-link");
		await expect.poll(() => resetLink.count(), { timeout: 10_000 }).toBe(1);
		const link = (await resetLink.getAttribute("href")) ?? "";

		// Opening the link uses nothing: mail scanners open links too.
		const apiCalls: string[] = [];
		page.on("request", (r) => {
			if (r.url().includes("/api/")) apiCalls.push(r.url());
		});
		await page.goto(link);
		await page.waitForTimeout(500);
		expect(apiCalls).toEqual([]);
		expect(page.url()).not.toContain("token=");
		await page.reload(); // the token left the URL, so a reload cannot use it either
		expect(apiCalls).toEqual([]);
		await setPasswordIn(page, link, NEW_PASSWORD);
		expect(apiCalls.filter((u) => u.includes("/api/portal/password"))).toHaveLength(1);

		await logIn(page, email, NEW_PASSWORD);
		await page.goto(`${worker.url}/login`);
		await page.fill("#email", email);
		await page.fill("#password", PASSWORD);
		await page.click("#submit");
		await expect.poll(() => page.locator("#form-error").textContent()).toContain("incorrect");
	});

	it("sends the set-password email again from the onboarding page, once a minute", async () => {
		const email = `again.${Date.now()}@example.com`;
		const checkout = await paidCustomer(email);
		const page = await newPage(browser);
		await page.goto(checkout.success);
		const resend = page.locator("#resend");
		await expect.poll(() => resend.isVisible(), { timeout: 10_000 }).toBe(true);
		await resend.click();
		await expect.poll(() => page.locator("#resend-result").textContent()).toContain("We sent a fresh email");
		expect(await page.locator("#resend-result").getAttribute("aria-live")).toBe("polite");
		expect((await newestEmail(email, 2)).subject).toBe("Your set-password link");
		await shoot(page, "22-onboarding-sent-again");
		await resend.click();
		await expect.poll(() => page.locator("#resend-result").textContent()).toContain("wait a minute");
	});

	it("says a checkout that expired charged nothing, and offers the same plan again", async () => {
		const checkout = await apiCheckout(worker.url, `expired.${Date.now()}@example.com`, { plan: "pro" });
		const page = await newPage(browser);
		await page.goto(checkout.success);
		await expect.poll(() => page.locator("#status-headline").textContent()).toBe("Confirming…");
		const expired = await sendStripeEvent(
			worker.url,
			"checkout.session.expired",
			checkoutSession({
				id: checkout.session,
				client_reference_id: checkout.clientId,
				metadata: { client_id: checkout.clientId },
				status: "expired",
				payment_status: "unpaid",
				url: null,
			}),
		);
		expect(expired.status).toBe(200);
		await expect
			.poll(() => page.locator("#status-headline").textContent(), { timeout: 10_000 })
			.toBe("Checkout ended without payment");
		expect(await page.locator("#status-detail").textContent()).toContain("Nothing was charged");
		await shoot(page, "23-onboarding-unpaid");
		await page.click("#signup-link");
		await page.waitForURL(/\/\?plan=pro$/);
		await expect.poll(() => page.locator("#plan-pro").isChecked()).toBe(true);
	});

	it("tells a customer back from a cancelled Checkout that nothing was charged", async () => {
		const page = await newPage(browser);
		await page.goto(`${worker.url}/?canceled=1&plan=pro`);
		await expect.poll(() => page.locator("#canceled-notice").isVisible()).toBe(true);
		expect(await page.locator("#canceled-notice").textContent()).toContain("nothing was charged");
		await expect.poll(() => page.locator("#plan-pro").isChecked()).toBe(true);
		await shoot(page, "24-signup-cancelled");
	});

	it("lists a returning customer's plans and shows a failed renewal, then an ended plan, on the dashboard", async () => {
		const email = `plans.${Date.now()}@example.com`;
		const first = await paidCustomer(email, "starter");
		const page = await newPage(browser);
		await setPasswordIn(page, (await newestEmail(email, 1)).links[0] ?? "", PASSWORD);
		const second = await paidCustomer(email, "pro");
		expect((await newestEmail(email, 2)).subject).toBe("Your Pro plan is active");

		await logIn(page, email, PASSWORD);
		await expect.poll(() => page.locator("#plans .plan-item").count()).toBe(2);
		expect(await page.locator("#plans .plan-name").allTextContents()).toEqual(
			expect.arrayContaining(["Starter", "Pro"]),
		);

		await sendStripeEvent(worker.url, "customer.subscription.updated", devSubscriptionOf(second, "past_due"));
		await page.reload();
		const banner = page.locator("#access-banner");
		await expect.poll(() => banner.getAttribute("data-kind")).toBe("past_due");
		expect(await banner.textContent()).toContain("Your payment didn't go through");
		expect(await page.locator("#update-payment").isVisible()).toBe(true);
		expect(await page.locator(`.plan-item[data-crn="${second.crn}"] .plan-status`).textContent()).toBe(
			"Payment overdue",
		);
		await shoot(page, "25-dashboard-past-due");

		for (const plan of [first, second]) {
			await sendStripeEvent(worker.url, "customer.subscription.deleted", devSubscriptionOf(plan, "canceled"));
		}
		await page.reload();
		await expect.poll(() => banner.getAttribute("data-kind")).toBe("ended");
		expect(await banner.textContent()).toContain("Your plans have ended");
		expect(await page.locator("#subscribe-again").getAttribute("href")).toMatch(/^\/\?plan=/);
		expect(await page.locator("#manage-billing").isVisible()).toBe(true);
		await shoot(page, "26-dashboard-ended");
	});

	it("marks a plan someone else bought with the owner's email, and keeps the stranger's name off the page", async () => {
		const email = `owner.${Date.now()}@example.com`;
		await paidCustomer(email, "starter");
		const page = await newPage(browser);
		await setPasswordIn(page, (await newestEmail(email, 1)).links[0] ?? "", PASSWORD);
		const stranger = await apiCheckout(worker.url, email, { name: "Mallory Intruder", plan: "pro" });
		await pay(worker.url, stranger);
		const notice = await newestEmail(email, 2);
		expect(notice.text).not.toContain("Mallory");

		await logIn(page, email, PASSWORD);
		await expect.poll(() => page.locator("#plans .plan-item").count()).toBe(2);
		const added = page.locator(`.plan-item[data-crn="${stranger.crn}"] .plan-added`);
		expect(await added.textContent()).toContain("Not you? Ask support to remove it.");
		expect(await page.locator("body").textContent()).not.toContain("Mallory");
		expect(await page.locator("body").textContent()).toContain("Welcome back, Grace Hopper.");
		await shoot(page, "27-dashboard-added-plan");
	});
});
