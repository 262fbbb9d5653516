// Test-only bindings added by vitest.config.ts.
declare namespace Cloudflare {
	interface Env {
		TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
		STAND_IN_URL: string;
	}
}
