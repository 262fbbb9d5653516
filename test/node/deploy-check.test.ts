import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkProductionConfig, dryRunBundle, MAX_BUNDLE_GZIP_BYTES } from "../../scripts/deploy-check.ts";

const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The repository's wrangler.toml with `edit` applied, in a scratch folder. */
function variant(edit: (toml: string) => string): string {
	const dir = mkdtempSync(join(tmpdir(), "deploy-check-"));
	dirs.push(dir);
	const path = join(dir, "wrangler.toml");
	writeFileSync(
		path,
		edit(readFileSync("wrangler.toml", "utf8")).replace(
			'main = "src/index.ts"',
			`main = "${process.cwd()}/src/index.ts"`,
		),
	);
	return path;
}

describe("the production deploy, checked without deploying", () => {
	it("passes the repository's production configuration, listing the template values to fill in", () => {
		const report = checkProductionConfig("wrangler.toml");
		expect(report.errors).toEqual([]);
		expect(report.placeholders).toEqual(expect.arrayContaining(["vars.APP_URL", "d1_databases.DB.database_id"]));
	});

	it("fails a production block that ships local values or forgets bindings", () => {
		const path = variant((toml) =>
			toml
				.replace('APP_URL = "https://REPLACE_ME.example"', 'APP_URL = "http://127.0.0.1:8787"\nDEV_TOOLS = "1"')
				.replace('MAIL_TRANSPORT = "resend"', 'MAIL_TRANSPORT = "outbox"')
				.replace(
					'required = ["STRIPE_SECRET_KEY", "ADMIN_TOKEN"]',
					'required = ["STRIPE_SECRET_KEY", "ADMIN_TOKEN", "MAIL_API_KEY"]',
				)
				.replace(/\[\[env\.production\.ratelimits\]\]\nname = "ADMIN_AUTH_LIMITER"[^[]*/, ""),
		);
		const { errors } = checkProductionConfig(path);
		expect(errors).toEqual(
			expect.arrayContaining([
				expect.stringContaining("APP_URL must be the public https origin"),
				"DEV_TOOLS must not be set in production",
				"MAIL_TRANSPORT must be a real provider in production",
				expect.stringContaining("required must be exactly STRIPE_SECRET_KEY, ADMIN_TOKEN"),
				"production lacks rate limiters: ADMIN_AUTH_LIMITER",
			]),
		);
	});

	it("bundles the production worker with wrangler deploy --dry-run under the size budget", () => {
		const bundle = dryRunBundle(process.cwd());
		expect(bundle.output).not.toMatch(/✘ \[ERROR\]/);
		expect(bundle.ok).toBe(true);
		expect(bundle.files.some((f) => f.startsWith("index.js "))).toBe(true);
		expect(bundle.gzipBytes).toBeGreaterThan(10 * 1024);
		expect(bundle.gzipBytes).toBeLessThanOrEqual(MAX_BUNDLE_GZIP_BYTES);
	});
});
