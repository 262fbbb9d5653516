// "Deliveries to your app" in the operator console, in Debian's Chromium
// against `wrangler dev`: the operator's app answers 503, so customer.onboarded
// deliveries retry and one whose schedule is spent fails; the panel shows the
// last answer and the day's figures, and "Send again" delivers it once the app
// is back, with the same webhook-id. Screenshots at phone and desktop widths.
import type { Browser } from "playwright-core";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { standInClient } from "../support/stand-in/client.ts";
import { startStandIn } from "../support/stand-in/server.ts";
import { launchBrowser, newPage, recordAnnouncements, SHOTS, shoot } from "./support/browser";
import { apiCheckout, pay } from "./support/shop";
import { startDevWorkerMailingTo, type WorkerServer } from "./support/worker-server";

const ADMIN_TOKEN = "e2e-deliveries-token-0123456789abcdef";
const SECRET = `whsec_${Buffer.from("a receiver's key of thirty-two b").toString("base64")}`;
let worker: WorkerServer;
let standIn: Awaited<ReturnType<typeof startStandIn>>;
let app: ReturnType<ReturnType<typeof standInClient>["appReceiver"]>;
let browser: Browser;

interface DeliveryRow {
	id: string;
	crn: string;
	status: string;
	attempts: number;
	last_error: string | null;
}

async function deliveries(): Promise<DeliveryRow[]> {
	const response = await fetch(`${worker.url}/api/admin/deliveries`, {
		headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
	});
	return ((await response.json()) as { deliveries: DeliveryRow[] }).deliveries;
}

beforeAll(async () => {
	standIn = await startStandIn();
	const client = standInClient(standIn.url);
	app = client.appReceiver("console");
	await app.configure({ fail: { status: 503, times: 1000, body: "down for maintenance" } });
	worker = await startDevWorkerMailingTo(client.mailBase, {
		ADMIN_TOKEN,
		APP_WEBHOOK_URL: app.url,
		APP_WEBHOOK_SECRET: SECRET,
	});
	browser = await launchBrowser();
}, 600_000);

afterAll(async () => {
	await browser?.close();
	await worker?.stop();
	await standIn?.close();
});

describe("deliveries to your app, in the console", () => {
	it("shows retrying and failed deliveries with the app's answer, and sends a failed one again", async () => {
		const first = await apiCheckout(worker.url, `ada.${Date.now()}@example.com`);
		await pay(worker.url, first);
		const second = await apiCheckout(worker.url, `alan.${Date.now()}@example.com`);
		await pay(worker.url, second);
		await expect
			.poll(async () => (await deliveries()).filter((d) => d.attempts >= 1).length, { timeout: 30_000 })
			.toBe(2);
		// Only time (more than a day of retries) brings a delivery to `failed`: spend the second's schedule.
		const failed = (await deliveries()).find((d) => d.crn === second.crn);
		if (!failed) throw new Error("no delivery for the second customer");
		await worker.sql(`update app_deliveries set status = 'failed', next_attempt_at = null where id = '${failed.id}'`);

		const page = await newPage(browser);
		const announced = await recordAnnouncements(page);
		await page.goto(`${worker.url}/admin`);
		await page.fill("#token", ADMIN_TOKEN);
		await page.click("#token-submit");
		const panel = page.locator("#deliveries-card");
		await expect.poll(() => panel.locator("tbody tr").count(), { timeout: 15_000 }).toBe(2);
		const rows = panel.locator("tbody tr");
		// Failed first, then retrying; each with the app's last answer, never more than its first line.
		await expect.poll(() => rows.nth(0).textContent()).toContain("failed");
		expect(await rows.nth(0).textContent()).toContain(second.crn);
		expect(await rows.nth(1).textContent()).toContain("retrying");
		expect(await rows.nth(1).textContent()).toContain("answered 503: down for maintenance");
		expect(await panel.locator("#deliveries-figures").textContent()).toMatch(/0 delivered · 1 retrying · 1 failed/);
		expect(await rows.nth(0).locator("button").isVisible()).toBe(true);
		expect(await rows.nth(1).locator("button").isVisible()).toBe(false);
		await panel.scrollIntoViewIfNeeded();
		await shoot(page, "admin-07-deliveries-failing");
		// The panel alone at phone width, where a full-page shot is too tall to read.
		await page.setViewportSize({ width: 375, height: 812 });
		await panel.screenshot({ path: `${SHOTS}/admin-07-deliveries-panel-phone.png` });
		await page.setViewportSize({ width: 1280, height: 800 });

		// The app is back: Send again delivers the failed one, with the same id.
		await app.configure({ fail: { status: 503, times: 0 } });
		await rows.nth(0).locator("button").click();
		await expect
			.poll(async () => (await announced()).join(" | "))
			.toContain("queued to be sent again, with the same webhook-id");
		await expect
			.poll(async () => (await deliveries()).find((d) => d.id === failed.id)?.status, { timeout: 15_000 })
			.toBe("delivered");
		const received = (await app.deliveries()).filter((d) => d.headers["webhook-id"] === failed.id);
		expect(received.length).toBeGreaterThanOrEqual(2);
		const last = received.at(-1);
		if (!last) throw new Error("nothing received");
		expect(new Webhook(SECRET).verify(last.body, last.headers)).toMatchObject({
			type: "customer.onboarded",
			data: { crn: second.crn },
		});
		// The token stays in sessionStorage: a reload goes straight back to the console.
		await page.reload();
		await expect.poll(() => panel.locator("tbody tr").count(), { timeout: 15_000 }).toBe(2);
		await expect.poll(() => panel.textContent()).toContain("delivered");
		await shoot(page, "admin-08-deliveries-sent-again");
	});
});
