// Finds the Chromium (or Chrome) the browser tests drive: $CHROMIUM_PATH if
// set, else the first browser on PATH. Never a downloaded browser build. As
// root on Debian with none found, it installs Debian's chromium, so a fresh CI
// machine needs no manual step; anywhere else it says what to install.
import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export const BROWSER_NAMES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"];

export const INSTALL_HINT =
	"No Chromium or Chrome found. Install one (Debian/Ubuntu: sudo apt-get install -y chromium; macOS: install Google Chrome) or set CHROMIUM_PATH to its executable.";

function isExecutable(path: string): boolean {
	try {
		accessSync(path, constants.X_OK);
		return true;
	} catch {
		return false;
	}
}

/** The browser to launch, or null. `env` is process.env by default; `executable` checks a candidate. */
export function findChromium(
	env: NodeJS.ProcessEnv = process.env,
	executable: (path: string) => boolean = isExecutable,
): string | null {
	const configured = env.CHROMIUM_PATH?.trim();
	if (configured) {
		if (!executable(configured)) throw new Error(`CHROMIUM_PATH=${configured} is not an executable file`);
		return configured;
	}
	for (const dir of (env.PATH ?? "").split(delimiter).filter(Boolean)) {
		for (const name of BROWSER_NAMES) {
			const candidate = join(dir, name);
			if (executable(candidate)) return candidate;
		}
	}
	return null;
}

export function ensureChromium(): string {
	const found = findChromium();
	if (found) return found;
	const canInstall = process.getuid?.() === 0 && isExecutable("/usr/bin/apt-get");
	if (!canInstall) throw new Error(INSTALL_HINT);
	const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
	execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
	execFileSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit", env });
	const installed = findChromium();
	if (!installed) throw new Error(`apt-get installed chromium but it is not on PATH. ${INSTALL_HINT}`);
	return installed;
}
