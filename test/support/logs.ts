// The worker's log lines as tests see them, and the check that no secret ever
// appears in a response or a log line.
import { vi } from "vitest";
import { TEST_SECRETS } from "./test-secrets";

export const ALL_SECRETS = Object.values(TEST_SECRETS).filter((s) => s !== "");

/** Captures this test's log lines (console.log/error), parsed where they are JSON. */
export function captureLogs() {
	const lines: string[] = [];
	const grab = (...args: unknown[]) => {
		lines.push(args.map(String).join(" "));
	};
	const log = vi.spyOn(console, "log").mockImplementation(grab);
	const error = vi.spyOn(console, "error").mockImplementation(grab);
	return {
		lines,
		events(name?: string) {
			return lines
				.map((l) => {
					try {
						return JSON.parse(l) as Record<string, unknown>;
					} catch {
						return null;
					}
				})
				.filter((e): e is Record<string, unknown> => e !== null && (!name || e.event === name));
		},
		restore() {
			log.mockRestore();
			error.mockRestore();
		},
	};
}

export function expectNoSecrets(text: string) {
	for (const secret of ALL_SECRETS) {
		if (text.includes(secret)) throw new Error(`a secret leaked: ${secret.slice(0, 8)}…`);
	}
}
