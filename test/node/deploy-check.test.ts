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
	it("passes the repository's top level, listing the template values to fill in", () => {
		const report = checkProductionConfig("wrangler.toml");
		expect(report.errors).toEqual([]);
		expect(report.placeholders).toEqual(expect.arrayContaining(["vars.APP_URL", "vars.PLANS"]));
	});

	it("fails a top level that ships local values or forgets bindings", () => {
		const path = variant((toml) =>
			toml
				.replace('APP_URL = "https://REPLACE_ME.example"', 'APP_URL = "http://127.0.0.1:8787"\nDEV_TOOLS = "1"')
				.replace('MAIL_TRANSPORT = "resend"', 'MAIL_TRANSPORT = "outbox"')
				.replace(
					'required = ["STRIPE_SECRET_KEY", "ADMIN_TOKEN"]',
					'required = ["STRIPE_SECRET_KEY", "ADMIN_TOKEN", "MAIL_API_KEY"]',
				)
				.replace(/^\[\[ratelimits\]\]\nname = "ADMIN_AUTH_LIMITER"\n[^[]*?\}\n/m, ""),
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

	it("fails a placeholder database id, a secret among the vars, and local work that would warn about secrets", () => {
		const path = variant((toml) =>
			toml
				.replace(
					'database_name = "onboarding"\n',
					'database_name = "onboarding"\ndatabase_id = "00000000-0000-0000-0000-000000000000"\n',
				)
				.replace('MAIL_TRANSPORT = "resend"', 'MAIL_TRANSPORT = "resend"\nMAIL_API_KEY = "re_in_plain_sight"')
				.replace(/\[env\.local\.secrets\]\nrequired = \[\]\n/, ""),
		);
		expect(checkProductionConfig(path).errors).toEqual([
			'd1_databases.DB.database_id "00000000-0000-0000-0000-000000000000" is not a database id: remove it',
			"MAIL_API_KEY is a secret: set it with wrangler secret put, not in [vars]",
			"[env.local] needs its own [env.local.secrets] table",
		]);
	});

	it("fails local work that lacks a binding the top level ships", () => {
		const path = variant((toml) =>
			toml.replace(/^\[\[env\.local\.ratelimits\]\]\nname = "ADMIN_AUTH_LIMITER"\n[^[]*?\}\n/m, ""),
		);
		expect(checkProductionConfig(path).errors).toEqual([
			"[env.local] lacks rate limiters that production has: ADMIN_AUTH_LIMITER",
		]);
	});

	it("bundles the top level with wrangler deploy --dry-run under the size budget, naming it plainly", () => {
		const bundle = dryRunBundle(process.cwd());
		expect(bundle.output).not.toMatch(/✘ \[ERROR\]/);
		expect(bundle.output).not.toMatch(/WARNING/);
		expect(bundle.output).toContain('env.APP_URL ("https://REPLACE_ME.example")');
		expect(bundle.ok).toBe(true);
		expect(bundle.files.some((f) => f.startsWith("index.js "))).toBe(true);
		expect(bundle.gzipBytes).toBeGreaterThan(10 * 1024);
		expect(bundle.gzipBytes).toBeLessThanOrEqual(MAX_BUNDLE_GZIP_BYTES);
	});
});
