// The operator console in Debian's Chromium against `wrangler dev`: paste the
// token, see a job the mail provider failed for real, retry it and watch it
// complete, find the customer, send a link. Screenshots at phone and desktop
// widths go to screenshots/ (git-ignored).
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StandInClient, standInClient } from "../support/stand-in/client.ts";
import { startStandIn } from "../support/stand-in/server.ts";
import { launchBrowser, newPage, recordAnnouncements, shoot } from "./support/browser";
import { apiCheckout, pay } from "./support/shop";
import { E2E_MAIL_KEY, startDevWorkerMailingTo, type WorkerServer } from "./support/worker-server";

// At least 32 characters, or the doctor's admin_token check fails.
const ADMIN_TOKEN = "e2e-console-token-0123456789abcdef0123";
let worker: WorkerServer;
let standIn: Awaited<ReturnType<typeof startStandIn>>;
let mail: ReturnType<StandInClient["mailbox"]>;
let browser: Browser;

beforeAll(async () => {
	standIn = await startStandIn();
	const client = standInClient(standIn.url);
	mail = client.mailbox(E2E_MAIL_KEY);
	worker = await startDevWorkerMailingTo(client.mailBase, { ADMIN_TOKEN });
	browser = await launchBrowser();
}, 600_000);

afterAll(async () => {
	await browser?.close();
	await worker?.stop();
	await standIn?.close();
});

/** A checkout made through the API and paid through the dev checkout stand-in. */
async function buy(email: string) {
	const checkout = await apiCheckout(worker.url, email);
	await pay(worker.url, checkout);
	return checkout.crn;
}

async function provisioningState(crn: string): Promise<string> {
	const response = await fetch(`${worker.url}/api/admin/clients/${crn}`, {
		headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
	});
	const body = (await response.json()) as { status?: { provisioning_state: string } };
	return body.status?.provisioning_state ?? "";
}

describe("operator console in a browser", () => {
	it("serves /admin with no inline script or style, no referrer and no caching", async () => {
		const response = await fetch(`${worker.url}/admin`);
		expect(response.status).toBe(200);
		const csp = response.headers.get("content-security-policy") ?? "";
		expect(csp).toContain("script-src 'self'");
		expect(csp).not.toContain("unsafe-inline");
		expect(response.headers.get("referrer-policy")).toBe("no-referrer");
		expect(response.headers.get("cache-control")).toBe("no-store");
		const html = await response.text();
		expect(html).toContain('<script type="module" src="/js/admin.js"></script>');
		expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
		expect(html).not.toMatch(/\sstyle=|\son[a-z]+=|<style/);
	});

	it("retries a job the mail provider failed, watches it complete, finds the customer and sends a link", async () => {
		const email = `grace.${Date.now()}@example.com`;
		// The welcome email is refused with a 422: a permanent failure, so the job fails at once.
		await mail.configure({ fail: { status: 422, name: "validation_error", times: 1 } });
		const crn = await buy(email);
		await expect.poll(() => provisioningState(crn), { timeout: 15_000 }).toBe("failed");

		const page = await newPage(browser);
		const announced = await recordAnnouncements(page);
		// 1. Open the console and paste the token.
		await page.goto(`${worker.url}/admin`);
		await expect.poll(() => page.locator("#token").isVisible()).toBe(true);
		// No Stripe key here, so the public health route says "unconfigured" and the hint shows.
		await expect.poll(() => page.locator("#dev-hint").isVisible()).toBe(true);
		await shoot(page, "admin-01-token");
		await page.fill("#token", ADMIN_TOKEN);
		await page.click("#token-submit");
		await expect.poll(() => page.locator("#health-list .check").count()).toBeGreaterThan(5);
		expect(page.url()).toBe(`${worker.url}/admin`);
		expect(await page.evaluate(() => sessionStorage.getItem("admin-token"))).toBe(ADMIN_TOKEN);
		expect(await page.evaluate(() => document.cookie)).toBe("");

		// Health: failing checks first, each with its hint; the webhook endpoint and the dead-man's switch are there.
		const kinds = await page
			.locator("#health-list .check")
			.evaluateAll((els) => els.map((e) => e.getAttribute("data-kind")));
		expect(kinds[0]).toBe("fail");
		expect(kinds.lastIndexOf("fail")).toBeLessThan(kinds.indexOf("pass"));
		const endpoint = page.locator('#health-list .check[data-name="stripe_webhook_endpoint"]');
		expect(await endpoint.getAttribute("data-kind")).toBe("fail");
		expect(await endpoint.locator(".check-hint").textContent()).toContain("without STRIPE_SECRET_KEY");
		expect(await page.locator('#health-list .check[data-name="webhook_deliveries"]').getAttribute("data-kind")).toBe(
			"pass",
		);

		// 2. The failed job, with the provider's refusal as its last error and only the email's domain.
		const item = page.locator(`#attention-list li[data-crn="${crn}"]`);
		await expect.poll(() => item.count()).toBe(1);
		expect(await item.locator(".badge").textContent()).toBe("Failed");
		expect(await item.locator(".item-error").textContent()).toContain("422 (validation_error)");
		expect(await item.locator(".item-domain").textContent()).toBe("@example.com");
		expect(await page.locator("#attention-list").textContent()).not.toContain(email);
		expect(await page.locator("#stat-paid").textContent()).toBe("1");
		expect(await page.locator("#stat-failed").textContent()).toBe("1");
		expect(await page.locator("#chart .bar-failed").count()).toBe(1);
		await shoot(page, "admin-02-failed-job");

		// 3. The provider accepts again; Retry, and the page follows the job until it completes.
		await item.getByRole("button", { name: "Retry" }).click();
		await expect
			.poll(() => page.locator("#announce").textContent(), { timeout: 20_000 })
			.toBe(`${crn}: provisioning completed; the welcome email is sent.`);
		await expect.poll(() => item.count()).toBe(0);
		expect(await page.locator("#attention-empty").isVisible()).toBe(true);
		await expect.poll(() => page.locator("#stat-provisioned").textContent()).toBe("1");
		expect(await page.locator("#stat-failed").textContent()).toBe("0");
		expect(await page.locator("#latency").textContent()).toMatch(/p50 .+, p95 .+ \(1 completed\)/);
		expect(await mail.to(email)).toHaveLength(1);
		await shoot(page, "admin-03-retried");

		// 4. Find the customer by CRN, typed in lower case.
		await page.fill("#search-q", crn.toLowerCase());
		await page.click("#search-submit");
		await expect.poll(() => page.locator("#customer-crn").textContent()).toBe(crn);
		expect(await page.locator("#customer-email").textContent()).toBe(email);
		expect(await page.locator("#customer-provisioning").textContent()).toBe("completed");
		expect(await page.locator("#customer-access").textContent()).toBe("access active");
		expect(await page.locator("#customer-retry").isVisible()).toBe(false);
		expect(await page.locator("#customer-events").textContent()).toContain("checkout.session.completed");
		const links = (await page.locator("#customer-links").textContent()) ?? "";
		expect(links).toContain("welcome: sent");
		expect(links).not.toMatch(/token|[A-Za-z0-9_-]{43}/);
		await shoot(page, "admin-04-customer");

		// 5. Send a set-password link: announced, and the provider receives it.
		await page.click("#customer-link");
		await expect
			.poll(() => page.locator("#announce").textContent())
			.toBe(`${crn}: set-password link queued for sending.`);
		await expect.poll(async () => (await mail.to(email)).length, { timeout: 10_000 }).toBe(2);
		await expect
			.poll(() => page.locator("#customer-links").textContent(), { timeout: 10_000 })
			.toContain("support: sent");
		await shoot(page, "admin-05-link-sent");

		// The deliveries list shows the payment's event as applied.
		const delivery = page.locator("#events-body tr", { hasText: "checkout.session.completed" });
		expect(await delivery.count()).toBe(1);
		expect(await delivery.locator(".badge").first().textContent()).toBe("applied");
		// Replaying asks Stripe for the event; with no key the console says so instead of offering it.
		expect(await delivery.getByRole("button", { name: /Replay/ }).isVisible()).toBe(false);
		expect(await page.locator(".replay-off").isVisible()).toBe(true);

		expect(await announced()).toEqual([
			"Console loaded.",
			`${crn}: retry queued. Watching provisioning…`,
			`${crn}: provisioning completed; the welcome email is sent.`,
			`Showing ${crn}.`,
			`${crn}: set-password link queued for sending.`,
		]);

		// Forget the token: the page starts afresh, so no customer data stays in it.
		await page.click("#forget-token");
		await expect.poll(() => page.locator("#token").isVisible(), { timeout: 5_000 }).toBe(true);
		expect(await page.locator("#announce").textContent()).toBe("Token forgotten.");
		expect(await page.locator("#console").isVisible()).toBe(false);
		expect(await page.content()).not.toContain(email);
		expect(await page.evaluate(() => sessionStorage.getItem("admin-token"))).toBeNull();
		await page.context().close();
	});

	it("asks for the token again when the API answers 401", async () => {
		const context = await browser.newContext({ viewport: { width: 375, height: 812 } });
		const page = await context.newPage();
		await page.goto(`${worker.url}/admin`);
		await page.fill("#token", "not-the-admin-token-not-the-admin-token");
		await page.click("#token-submit");
		await expect.poll(() => page.locator("#token-error").textContent(), { timeout: 5_000 }).toContain("not accepted");
		expect(await page.locator("#console").isVisible()).toBe(false);
		expect(await page.evaluate(() => sessionStorage.getItem("admin-token"))).toBeNull();
		// A token that stops working mid-session (rotated) sends the operator back to the form too.
		await page.fill("#token", ADMIN_TOKEN);
		await page.click("#token-submit");
		await expect.poll(() => page.locator("#health-list .check").count()).toBeGreaterThan(5);
		await page.evaluate(() => sessionStorage.setItem("admin-token", "rotated-away-rotated-away-rotated-away"));
		await page.click("#refresh");
		await expect.poll(() => page.locator("#token").isVisible(), { timeout: 5_000 }).toBe(true);
		expect(await page.locator("#token-error").textContent()).toContain("not accepted");
		await page.context().close();
	});
});
