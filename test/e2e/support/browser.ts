// Chromium for the browser tests, launched with the flags this sandbox needs,
// plus the habits every browser test shares: fresh pages, screenshots at phone
// and desktop widths into screenshots/ (git-ignored), aria-live announcements.
import { mkdir } from "node:fs/promises";
import { type Browser, chromium, type Page } from "playwright-core";
import { ensureChromium } from "./chromium";

export const SHOTS = "screenshots";

export async function launchBrowser(): Promise<Browser> {
	await mkdir(SHOTS, { recursive: true });
	return chromium.launch({
		executablePath: ensureChromium(),
		args: [
			"--headless",
			"--no-sandbox",
			"--disable-gpu",
			"--no-first-run",
			"--disable-background-networking",
			"--disable-component-update",
			"--disable-sync",
		],
	});
}

export async function newPage(browser: Browser): Promise<Page> {
	const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	return context.newPage();
}

export async function shoot(page: Page, name: string) {
	const size = page.viewportSize() ?? { width: 1280, height: 800 };
	await page.setViewportSize({ width: 375, height: 812 });
	await page.screenshot({ path: `${SHOTS}/${name}-phone.png`, fullPage: true });
	await page.setViewportSize({ width: 1280, height: 800 });
	await page.screenshot({ path: `${SHOTS}/${name}-desktop.png`, fullPage: true });
	await page.setViewportSize(size);
}

/** Every text the page's first aria-live region announces, in order. */
export async function recordAnnouncements(page: Page) {
	await page.addInitScript(() => {
		const w = window as unknown as { __announced: string[] };
		w.__announced = [];
		document.addEventListener("DOMContentLoaded", () => {
			const live = document.querySelector("[aria-live]");
			if (!live) return;
			new MutationObserver(() => {
				const text = live.textContent?.trim() ?? "";
				if (text && w.__announced[w.__announced.length - 1] !== text) w.__announced.push(text);
			}).observe(live, { childList: true, subtree: true, characterData: true });
		});
	});
	return () => page.evaluate(() => (window as unknown as { __announced: string[] }).__announced);
}
