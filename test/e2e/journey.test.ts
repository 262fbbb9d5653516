// The customer's journey in Debian's Chromium against `wrangler dev`: sign-up,
// the development checkout, the onboarding page's states in order, set
// password, login, dashboard. Screenshots of every screen at phone and desktop
// widths go to screenshots/ (git-ignored).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StandInClient, standInClient } from "../support/stand-in/client.ts";
import { startStandIn } from "../support/stand-in/server.ts";
import { launchBrowser, newPage as openPage, recordAnnouncements, shoot } from "./support/browser";
import { apiCheckout as checkoutAt, pay as payAt } from "./support/shop";
import { E2E_MAIL_KEY, startDevWorkerMailingTo, type WorkerServer } from "./support/worker-server";

const SUPPORT = "help@onboarding.test";
const DOCTOR_TOKEN = "e2e-admin-token-0123456789abcdef0123";
let worker: WorkerServer;
let standIn: Awaited<ReturnType<typeof startStandIn>>;
let mail: ReturnType<StandInClient["mailbox"]>;
let browser: Browser;

// Generous: the first run on a fresh machine installs Chromium from apt.
beforeAll(async () => {
	standIn = await startStandIn();
	const client = standInClient(standIn.url);
	mail = client.mailbox(E2E_MAIL_KEY);
	worker = await startDevWorkerMailingTo(client.mailBase, { SUPPORT_EMAIL: SUPPORT, ADMIN_TOKEN: DOCTOR_TOKEN });
	browser = await launchBrowser();
}, 600_000);

const newPage = () => openPage(browser);
const apiCheckout = (email: string) => checkoutAt(worker.url, email);
const pay = (checkout: { session: string; success: string }) => payAt(worker.url, checkout);

afterAll(async () => {
	await browser?.close();
	await worker?.stop();
	await standIn?.close();
});

describe("customer journey in a browser", () => {
	it("goes from sign-up through checkout and onboarding to the dashboard", async () => {
		const email = `ada.${Date.now()}@example.com`;
		const page = await newPage();
		await page.goto(`${worker.url}/`);
		await expect.poll(() => page.locator("#plan-starter").count()).toBe(1);
		await shoot(page, "01-signup");
		await page.fill("#name", "Ada Lovelace");
		await page.fill("#email", email);
		await page.check("#plan-starter");
		await page.click("#submit");
		await page.waitForURL(/\/dev\/checkout\?session=cs_dev_/);
		await expect.poll(() => page.locator("#checkout-email").textContent()).toBe(email);
		await shoot(page, "02-checkout");

		// The customer's tab is back on the onboarding page before the payment is confirmed.
		const success = new URL(page.url()).searchParams.get("success") ?? "";
		const onboarding = await newPage();
		const announced = await recordAnnouncements(onboarding);
		await onboarding.goto(success);
		const headline = onboarding.locator("#status-headline");
		await expect.poll(() => headline.textContent()).toBe("Confirming…");
		await shoot(onboarding, "03-onboarding-confirming");

		// Pay, with the welcome email held at the provider: the page shows the setup in progress.
		await mail.configure({ hold: true });
		await page.click("#pay");
		await page.waitForURL(/\/onboarding\?t=/);
		await expect
			.poll(() => headline.textContent(), { timeout: 10_000 })
			.toBe("Payment complete. Portal setup in progress…");
		expect(await onboarding.locator("#step-payment-state").textContent()).toBe("Payment complete");
		await shoot(onboarding, "04-onboarding-portal-setup");

		await mail.configure({ hold: false });
		await expect
			.poll(() => headline.textContent(), { timeout: 10_000 })
			.toBe("Your portal is ready — check your inbox for the email with your set-password link");
		expect(await onboarding.locator("#status-live").getAttribute("aria-live")).toBe("polite");
		expect(await onboarding.locator("#status-live").textContent()).toContain("check your inbox");
		await expect.poll(() => onboarding.locator("#open-outbox").count()).toBe(1);
		await shoot(onboarding, "05-onboarding-ready");
		// The live region announced each state once, in order.
		expect((await announced()).filter((text) => text !== "Checking your status…")).toEqual([
			"Confirming…",
			"Payment complete. Portal setup in progress…",
			"Your portal is ready — check your inbox for the email with your set-password link",
		]);

		// The onboarding page itself sends no referrer and is not cached.
		const onboardingResponse = await fetch(success);
		expect(onboardingResponse.headers.get("referrer-policy")).toBe("no-referrer");
		expect(onboardingResponse.headers.get("cache-control")).toBe("no-store");

		const [welcome] = await mail.to(email);
		const link = welcome?.text.match(/https?:\/\/\S+\/set-password\?token=\S+/)?.[0];
		expect(link).toMatch(/\/set-password\?token=[A-Za-z0-9_-]{43}$/);
		await page.goto(link ?? "");
		await shoot(page, "06-set-password");
		await page.fill("#password", "short");
		await page.fill("#confirm", "short");
		await page.click("#submit");
		await expect.poll(() => page.locator("#password-error").textContent()).toContain("12 characters");
		// Long enough for the page, too repetitive for the server: the server's own message shows.
		await page.fill("#password", "abababababab");
		await page.fill("#confirm", "abababababab");
		await page.click("#submit");
		await expect.poll(() => page.locator("#password-error").textContent()).toBe("Use a less repetitive password.");
		const password = "a long and unusual passphrase";
		await page.fill("#password", password);
		await page.fill("#confirm", password);
		await page.click("#submit");
		await expect.poll(() => page.locator("#success").isVisible()).toBe(true);
		expect(page.url()).not.toContain("token=");
		await shoot(page, "07-password-set");

		await page.click("#login-link");
		await page.waitForURL(/\/login/);
		await shoot(page, "08-login");
		await page.fill("#email", email);
		await page.fill("#password", "not the password");
		await page.click("#submit");
		await expect.poll(() => page.locator("#form-error").textContent()).toContain("incorrect");
		await page.fill("#password", password);
		await page.click("#submit");
		await page.waitForURL(/\/dashboard/);
		await expect.poll(() => page.locator("#plans .plan-name").first().textContent()).toBe("Starter");
		expect(await page.locator("#account-email").textContent()).toBe(email);
		expect(await page.locator("#plans .plan-status").first().textContent()).toBe("Active");
		expect(await page.locator("#access-banner").isVisible()).toBe(false);
		await shoot(page, "09-dashboard");

		// No Stripe account offline: billing says so instead of failing silently.
		await page.click("#manage-billing");
		await expect.poll(() => page.locator("#dashboard-error").textContent()).toContain("not available");

		await onboarding.reload();
		await expect.poll(() => headline.textContent()).toBe("Your account is ready");

		await page.click("#logout");
		await page.waitForURL(/\/login/);
		await page.goto(`${worker.url}/dashboard`);
		await page.waitForURL(/\/login/);
	});

	it("shows the failure message and a banner with the CRN and support email when provisioning fails", async () => {
		// The mail provider refuses the welcome email as a bad request: the job fails at once.
		await mail.configure({ fail: { status: 422, name: "validation_error", times: 1 } });
		const second = await apiCheckout(`refused.${Date.now()}@example.com`);
		await pay(second);
		const page = await newPage();
		await page.goto(second.success);
		await expect
			.poll(() => page.locator("#status-headline").textContent(), { timeout: 10_000 })
			.toBe("Portal setup failed");
		expect(await page.locator("#failure").isVisible()).toBe(true);
		const banner = page.locator("#timeout-banner");
		expect(await banner.isVisible()).toBe(true);
		expect(await page.locator("#banner-crn").textContent()).toBe(second.crn);
		expect(await page.locator("#support-email").getAttribute("href")).toBe(`mailto:${SUPPORT}`);
		await shoot(page, "10-onboarding-failed");
	});

	it("stops polling after the time limit with a banner, and Refresh still asks", async () => {
		const checkout = await apiCheckout(`slow.${Date.now()}@example.com`);
		const page = await newPage();
		const polls: number[] = [];
		page.on("request", (r) => {
			if (r.url().includes("/api/portal/setup-status")) polls.push(Date.now());
		});
		// speed=60: the 180 s schedule runs in 3 s.
		await page.goto(`${checkout.success}&speed=60`);
		await expect.poll(() => page.locator("#timeout-banner").isVisible(), { timeout: 10_000 }).toBe(true);
		expect(await page.locator("#banner-crn").textContent()).toBe(checkout.crn);
		expect(await page.locator("#support-email").textContent()).toContain(SUPPORT);
		expect(await page.locator("#status-headline").textContent()).toBe("Confirming…");
		await shoot(page, "11-onboarding-timeout");

		const before = polls.length;
		expect(before).toBeGreaterThan(5);
		await page.waitForTimeout(1_500);
		expect(polls.length).toBe(before);
		await page.click("#refresh");
		await expect.poll(() => polls.length).toBe(before + 1);

		// Paying now and refreshing shows the change at once.
		await pay(checkout);
		await page.waitForTimeout(300);
		await page.click("#refresh");
		await expect
			.poll(() => page.locator("#status-headline").textContent(), { timeout: 10_000 })
			.toMatch(/Portal setup in progress|Your portal is ready/);
	});

	it("pauses polling while the tab is hidden", async () => {
		const checkout = await apiCheckout(`hidden.${Date.now()}@example.com`);
		const page = await newPage();
		const polls: number[] = [];
		page.on("request", (r) => {
			if (r.url().includes("/api/portal/setup-status")) polls.push(Date.now());
		});
		await page.goto(checkout.success);
		await expect.poll(() => polls.length, { timeout: 5_000 }).toBeGreaterThan(1);
		await page.evaluate(() => {
			Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
			Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
			document.dispatchEvent(new Event("visibilitychange"));
		});
		await page.waitForTimeout(300);
		const hiddenAt = polls.length;
		await page.waitForTimeout(2_500);
		expect(polls.length).toBe(hiddenAt);
		await page.evaluate(() => {
			Object.defineProperty(document, "hidden", { configurable: true, get: () => false });
			Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "visible" });
			document.dispatchEvent(new Event("visibilitychange"));
		});
		await expect.poll(() => polls.length, { timeout: 5_000 }).toBeGreaterThan(hiddenAt);
	});

	it("serves every page with a strict CSP, and token pages with no referrer and no caching", async () => {
		for (const path of ["/", "/onboarding", "/set-password", "/login", "/dashboard"]) {
			const response = await fetch(`${worker.url}${path}`);
			expect(response.status).toBe(200);
			const csp = response.headers.get("content-security-policy") ?? "";
			expect(csp).toContain("script-src 'self'");
			expect(csp).not.toContain("unsafe-inline");
			expect(response.headers.get("x-content-type-options")).toBe("nosniff");
			const html = await response.text();
			expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
			expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/);
		}
		for (const path of ["/onboarding?t=x", "/set-password?token=x"]) {
			const response = await fetch(`${worker.url}${path}`);
			expect(response.headers.get("referrer-policy")).toBe("no-referrer");
			expect(response.headers.get("cache-control")).toBe("no-store");
		}
	});

	it("npm run doctor reads the running worker's checks and fails on the missing Stripe key", async () => {
		const run = promisify(execFile);
		const doctor = (token: string) =>
			run(process.execPath, [
				"--experimental-strip-types",
				"--no-warnings",
				"scripts/doctor.ts",
				"--url",
				worker.url,
				"--token",
				token,
			]).then(
				(r) => ({ code: 0, stdout: r.stdout }),
				(e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
			);
		const report = await doctor(DOCTOR_TOKEN);
		expect(report.code).toBe(1);
		expect(report.stdout).toMatch(
			/FAIL\s+stripe_key\s+STRIPE_SECRET_KEY is not set: the development checkout stand-in is active/,
		);
		expect(report.stdout).toMatch(/ok\s+database\s+D1 reachable and migrated/);
		expect(report.stdout).toMatch(/ok\s+queue/);
		expect(report.stdout).not.toContain(DOCTOR_TOKEN);
		expect((await doctor("wrong-token")).code).toBe(1);
	});

	it("says an unknown onboarding link is not valid", async () => {
		const page = await newPage();
		await page.goto(`${worker.url}/onboarding?t=${"A".repeat(43)}`);
		await expect
			.poll(() => page.locator("#status-headline").textContent(), { timeout: 10_000 })
			.toBe("This onboarding link is not valid");
	});
});
