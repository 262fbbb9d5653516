// Debian's Chromium for the browser tests (never a downloaded browser build).
// A fresh machine gets it from apt on first use, so `npm test` needs no manual step.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export const CHROMIUM = "/usr/bin/chromium";

export function ensureChromium(): string {
	if (existsSync(CHROMIUM)) return CHROMIUM;
	if (process.getuid?.() !== 0) {
		throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (sudo apt-get install -y chromium)`);
	}
	const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
	execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
	execFileSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit", env });
	if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is still missing`);
	return CHROMIUM;
}
