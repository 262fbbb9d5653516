import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { TEST_SECRETS } from "./test/support/test-secrets.ts";

export default defineConfig(async () => {
	const migrations = await readD1Migrations("./migrations");
	return {
		test: {
			// The worker's JSON log lines are asserted in tests, not printed (SHOW_LOGS=1 prints them).
			silent: !process.env.SHOW_LOGS,
			projects: [
				{
					// Worker tests: inside workerd with real local D1 and queues.
					plugins: [
						cloudflareTest(({ inject }) => ({
							// Local work is [env.local]; the top level is what a deploy ships.
							wrangler: { configPath: "./wrangler.toml", environment: "local" },
							miniflare: {
								bindings: {
									TEST_MIGRATIONS: migrations,
									STRIPE_API_BASE: inject("standInUrl"),
									MAIL_API_BASE: `${inject("standInUrl")}/resend`,
									STAND_IN_URL: inject("standInUrl"),
									...TEST_SECRETS,
								},
							},
						})),
					],
					// Local work's build, as wrangler.toml's [env.local.define] makes it.
					define: { __DEV_TOOLS_BUILD__: "true" },
					test: {
						name: "worker",
						include: ["test/*.test.ts"],
						globalSetup: ["./test/global-setup.ts"],
						setupFiles: ["./test/setup.ts"],
					},
				},
				{
					// Node-side tools (tail formatter, doctor CLI) and the browser journey.
					test: {
						name: "node",
						include: ["test/node/**/*.test.ts", "test/e2e/**/*.test.ts"],
						environment: "node",
						// One browser file at a time: each starts its own wrangler dev and Chromium,
						// and two at once on a small machine only make both slower and flakier.
						fileParallelism: false,
						testTimeout: 120_000,
						hookTimeout: 180_000,
					},
				},
			],
		},
	};
});
