// `npm run seed [-- --persist-to DIR]`: fills local D1 with a realistic last day (scripts/seed-sql.ts) so the
// console at /admin shows every panel on first open. Applies the migrations first; a second run replaces the seed.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { seedSql } from "./seed-sql.ts";

const extra = process.argv.slice(2);
const file = ".wrangler/seed.sql";
mkdirSync(".wrangler", { recursive: true });
writeFileSync(file, seedSql(Date.now()));

function wrangler(args: string[]): void {
	const run = spawnSync(
		process.execPath,
		["node_modules/wrangler/bin/wrangler.js", ...args, "--local", "--env", "local", ...extra],
		{
			stdio: "inherit",
		},
	);
	if (run.status !== 0) process.exit(run.status ?? 1);
}

wrangler(["d1", "migrations", "apply", "DB"]);
wrangler(["d1", "execute", "DB", "--file", file]);
process.stdout.write(
	"\nSeeded a day of onboarding into local D1. npm run dev, then open http://127.0.0.1:8787/admin\n" +
		"(token: dev-admin-token-for-local-work-only-0000). Seeded logins have no password.\n",
);
