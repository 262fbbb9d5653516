// Money moving after the first payment, in Chromium against `wrangler dev` set
// up as `npm run dev` sets it up: the dev money events (signed Stripe events
// through the real webhook route) take a customer's plan past due, suspend it
// with a dispute and ask for a renewal to be confirmed; the dashboard says so
// and offers the one thing to do. Then support filters plans by access and
// reason in the console.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, newPage, recordAnnouncements, SHOTS } from "./support/browser";
import { apiCheckout, type Checkout, pay } from "./support/shop";
import { startWorker, type WorkerServer } from "./support/worker-server";

const PASSWORD = "a long and unusual passphrase";
const DEV_ADMIN_TOKEN = "dev-admin-token-for-local-work-only-0000";
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const DATE = { day: "numeric", month: "long", year: "numeric" } as const;

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

/** Full-page screenshots at a phone's and a desktop's viewport. */
async function shoot(page: Page, name: string, sizes: ("phone" | "desktop")[] = ["phone", "desktop"]) {
	for (const size of sizes) {
		await page.setViewportSize(size === "phone" ? PHONE : DESKTOP);
		await page.screenshot({ path: `${SHOTS}/${name}-${size}.png`, fullPage: true });
	}
	await page.setViewportSize(DESKTOP);
}

interface MoneyAnswer {
	status: number;
	body: {
		error?: string;
		message?: string;
		plan?: { access: string; reason: string };
		stripe_events?: { type: string }[];
	};
}

async function moneyEvent(crn: string, event: string): Promise<MoneyAnswer> {
	const response = await fetch(`${worker.url}/api/dev/plans/${crn}/events`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ event }),
	});
	return { status: response.status, body: (await response.json()) as MoneyAnswer["body"] };
}

async function welcomeLink(to: string): Promise<string> {
	let link = "";
	await expect
		.poll(
			async () => {
				const body = (await (await fetch(`${worker.url}/api/dev/outbox`)).json()) as {
					messages: { to: string; links: string[] }[];
				};
				link = body.messages.find((m) => m.to === to)?.links[0] ?? "";
				return link;
			},
			{ timeout: 15_000 },
		)
		.not.toBe("");
	return link;
}

async function customerWithLogin(page: Page, email: string): Promise<Checkout> {
	const checkout = await apiCheckout(worker.url, email, { plan: "starter" });
	await pay(worker.url, checkout);
	await page.goto(await welcomeLink(email));
	await page.fill("#password", PASSWORD);
	await page.fill("#confirm", PASSWORD);
	await page.click("#submit");
	await expect.poll(() => page.locator("#success").isVisible(), { timeout: 10_000 }).toBe(true);
	return checkout;
}

async function logIn(page: Page, email: string) {
	await page.goto(`${worker.url}/login`);
	await page.fill("#email", email);
	await page.fill("#password", PASSWORD);
	await page.click("#submit");
	await page.waitForURL(/\/dashboard/);
}

const dateInPage = (page: Page, iso: string) =>
	page.evaluate(([value, options]) => new Date(value).toLocaleDateString(undefined, options), [iso, DATE] as const);

describe("money moving on a plan, in a browser", () => {
	it("answers a dev money event it cannot build with {error, message}", async () => {
		const unknown = await moneyEvent("CRN-0000-0000", "refund");
		expect(unknown).toMatchObject({ status: 404, body: { error: "not_found" } });
		const invalid = await moneyEvent("CRN-0000-0000", "chargeback");
		expect(invalid.status).toBe(400);
		expect(invalid.body.error).toBe("invalid_event");
		expect(invalid.body.message).toContain("dispute_opened");
	});

	it("shows a failed renewal, a dispute and a renewal to confirm on the dashboard, each with what to do", async () => {
		const email = `money.${Date.now()}@example.com`;
		const page = await newPage(browser);
		const { crn } = await customerWithLogin(page, email);
		const plan = page.locator(`.plan-item[data-crn="${crn}"]`);
		const banner = page.locator("#access-banner");
		const invoiceUrl = `${worker.url}/dev/invoice?crn=${crn}`;

		await logIn(page, email);
		await expect.poll(() => plan.getAttribute("data-access")).toBe("active");
		expect(await plan.locator(".plan-name").textContent()).toBe("Starter");
		expect(await plan.locator(".plan-when").textContent()).toMatch(/^Renews on /);
		expect(await banner.isVisible()).toBe(false);

		// No dispute is open yet: closing one is refused, and nothing changes.
		expect(await moneyEvent(crn, "dispute_won")).toMatchObject({ status: 409, body: { error: "no_open_dispute" } });

		// A renewal fails: past due, access kept until the grace date, pay the invoice.
		const failed = await moneyEvent(crn, "renewal_failed");
		expect(failed.status).toBe(200);
		expect(failed.body.plan).toMatchObject({ access: "past_due", reason: "payment_failed" });
		const announced = await recordAnnouncements(page);
		await page.reload();
		await expect.poll(() => banner.getAttribute("data-kind")).toBe("past_due");
		expect(await banner.textContent()).toContain("Your payment didn't go through");
		const me = (await page.evaluate(() => fetch("/api/portal/me").then((r) => r.json()))) as {
			subscriptions: { crn: string; grace_ends_at: string }[];
		};
		const graceIso = me.subscriptions.find((s) => s.crn === crn)?.grace_ends_at ?? "";
		expect(graceIso).not.toBe("");
		const grace = await dateInPage(page, graceIso);
		expect(await plan.locator(".plan-note").textContent()).toBe(
			`The latest payment for this plan didn't go through. You keep access until ${grace}.`,
		);
		expect(await plan.locator(".plan-status").textContent()).toBe("Payment overdue");
		expect(await plan.locator('[data-action="pay_invoice"]').textContent()).toBe("Pay the invoice");
		expect(await plan.locator('[data-action="pay_invoice"]').getAttribute("href")).toBe(invoiceUrl);
		expect(await page.locator("#pay-invoice").getAttribute("href")).toBe(invoiceUrl);
		await expect.poll(() => announced()).toContainEqual(expect.stringContaining("Your payment didn't go through"));
		await shoot(page, "30-money-past-due");

		// A dispute opens, from the dev money page: the plan is suspended, in plain words.
		const devPage = await newPage(browser);
		await devPage.goto(`${worker.url}/dev/money`);
		const devPlan = devPage.locator(`.money-plan[data-crn="${crn}"]`);
		await devPlan.locator('[data-event="dispute_opened"]').click();
		await expect.poll(() => devPage.locator("#money-status").textContent()).toContain("suspended, dispute_open");
		expect(await devPlan.locator(".money-access").textContent()).toBe("suspended · dispute_open");
		await shoot(devPage, "33-dev-money");
		await page.reload();
		await expect.poll(() => banner.getAttribute("data-kind")).toBe("suspended");
		const disputed =
			"A payment for this plan is disputed with your bank; access is paused until the dispute is resolved. Contact support.";
		expect(await plan.locator(".plan-note").textContent()).toBe(disputed);
		expect(await banner.textContent()).toContain(disputed);
		expect(await plan.locator(".plan-status").textContent()).toBe("Paused: disputed");
		expect(await plan.locator(".plan-action").count()).toBe(0);
		await shoot(page, "31-money-disputed");

		// The dispute is won: back to past due. A refresh (the tab shown again) announces the change.
		expect((await moneyEvent(crn, "dispute_won")).body.plan).toMatchObject({ access: "past_due" });
		await page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
		await expect.poll(() => plan.getAttribute("data-access")).toBe("past_due");
		await expect.poll(() => announced()).toContain("Starter: payment overdue.");

		// The invoice is paid on the hosted-invoice stand-in the link leads to.
		await plan.locator('[data-action="pay_invoice"]').click();
		await page.waitForURL(invoiceUrl);
		await page.click("#pay");
		// The error box's text, if any, is what a failure shows.
		const paid = async () =>
			(await page.locator("#invoice-status").textContent()) || (await page.locator("#invoice-error").textContent());
		await expect.poll(paid, { timeout: 10_000 }).toContain("Paid");
		await page.goto(`${worker.url}/dashboard`);
		await expect.poll(() => plan.getAttribute("data-access")).toBe("active");
		expect(await banner.isVisible()).toBe(false);

		// The next renewal needs the customer to confirm it with their bank.
		expect((await moneyEvent(crn, "renewal_needs_confirmation")).status).toBe(200);
		await page.reload();
		await expect.poll(() => banner.getAttribute("data-kind")).toBe("confirm_payment");
		expect(await page.locator("#confirm-payment").textContent()).toBe("Confirm your payment");
		expect(await page.locator("#confirm-payment").getAttribute("href")).toBe(invoiceUrl);
		expect(await plan.locator('[data-action="confirm_payment"]').getAttribute("href")).toBe(invoiceUrl);
		expect(await plan.locator(".plan-note").textContent()).toContain("confirm the latest payment");
		await shoot(page, "32-money-confirm");
	});

	it("filters plans by access and reason in the console", async () => {
		const setup = await newPage(browser);
		const suspendedEmail = `disputed.${Date.now()}@example.com`;
		const suspended = await customerWithLogin(setup, suspendedEmail);
		const other = await customerWithLogin(setup, `refunded.${Date.now()}@example.com`);
		expect((await moneyEvent(suspended.crn, "dispute_opened")).body.plan).toMatchObject({ access: "suspended" });
		const refunded = await moneyEvent(other.crn, "refund");
		expect(refunded.body.stripe_events?.map((e) => e.type)).toEqual(["charge.refunded"]);
		expect(refunded.body.plan).toMatchObject({ access: "ended", reason: "refunded" });

		const api = (query: string) =>
			fetch(`${worker.url}/api/admin/plans?${query}`, { headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}` } });
		const bad = await api("access=nope");
		expect(bad.status).toBe(400);
		expect(await bad.json()).toMatchObject({ error: "invalid_access", message: expect.stringContaining("suspended") });
		expect((await api("reason=nope")).status).toBe(400);
		expect((await fetch(`${worker.url}/api/admin/plans`)).status).toBe(401);

		const page = await newPage(browser);
		await page.goto(`${worker.url}/admin`);
		await page.fill("#token", DEV_ADMIN_TOKEN);
		await page.click("#token-submit");
		await expect.poll(() => page.locator("#console").isVisible()).toBe(true);
		await page.selectOption("#plans-access", "suspended");
		await page.selectOption("#plans-reason", "dispute_open");
		await page.click("#plans-submit");
		const rows = page.locator("#plans-results .plan-row");
		await expect.poll(() => rows.count()).toBeGreaterThan(0);
		const crns = await rows.evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset.crn));
		expect(crns).toContain(suspended.crn);
		expect(crns).not.toContain(other.crn);
		expect(await rows.evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset.reason))).toEqual(
			crns.map(() => "dispute_open"),
		);
		expect(await page.locator(`#plans-results [data-crn="${suspended.crn}"]`).textContent()).toContain("@example.com");
		expect(await page.locator(`#plans-results [data-crn="${suspended.crn}"]`).textContent()).not.toContain(
			suspendedEmail,
		);

		// Opening a row shows the customer, with access, reason and the login's plans.
		await page.locator(`#plans-results [data-crn="${suspended.crn}"] button`).click();
		await expect.poll(() => page.locator("#customer-crn").textContent()).toBe(suspended.crn);
		expect(await page.locator("#customer-access").textContent()).toBe("access suspended");
		expect(await page.locator("#customer-access").getAttribute("data-tone")).toBe("bad");
		expect(await page.locator("#customer-reason").textContent()).toBe("dispute open");
		expect(await page.locator(`#customer-plans [data-crn="${suspended.crn}"] .badge`).textContent()).toBe(
			"suspended · dispute_open",
		);
		await shoot(page, "admin-06-plans-filter", ["desktop"]);
	});
});
