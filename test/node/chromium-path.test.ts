import { describe, expect, it } from "vitest";
import { findChromium, INSTALL_HINT } from "../e2e/support/chromium";

const only =
	(...paths: string[]) =>
	(path: string) =>
		paths.includes(path);

describe("finding the browser for the browser tests", () => {
	it("uses CHROMIUM_PATH when set, and refuses one that is not executable", () => {
		expect(
			findChromium(
				{ CHROMIUM_PATH: "/opt/chrome/chrome", PATH: "/usr/bin" },
				only("/opt/chrome/chrome", "/usr/bin/chromium"),
			),
		).toBe("/opt/chrome/chrome");
		expect(() => findChromium({ CHROMIUM_PATH: "/nowhere/chrome" }, only())).toThrow("CHROMIUM_PATH=/nowhere/chrome");
	});

	it("takes the first Chromium or Chrome on PATH, in PATH order", () => {
		expect(
			findChromium({ PATH: "/usr/local/bin:/usr/bin" }, only("/usr/bin/chromium", "/usr/local/bin/google-chrome")),
		).toBe("/usr/local/bin/google-chrome");
		expect(findChromium({ PATH: "/snap/bin" }, only("/snap/bin/chromium-browser"))).toBe("/snap/bin/chromium-browser");
	});

	it("finds nothing on a PATH without a browser, and says what to install", () => {
		expect(findChromium({ PATH: "/usr/bin:/bin" }, only("/usr/bin/firefox"))).toBeNull();
		expect(INSTALL_HINT).toMatch(/apt-get install -y chromium.*CHROMIUM_PATH/);
	});
});
