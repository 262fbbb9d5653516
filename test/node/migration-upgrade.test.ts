// A deployment with customers upgrades through migrations/0001 with their data
// intact: each plan joins the login its purchase created, jobs get their run
// start and completion times, and links that a set password had made useless
// stay useless now that links live until a password is set with one of them.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const WRANGLER = join(process.cwd(), "node_modules/.bin/wrangler");
const dir = mkdtempSync(join(tmpdir(), "migration-upgrade-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function wrangler(...args: string[]): string {
	return execFileSync(WRANGLER, args, { cwd: dir, encoding: "utf8", env: { ...process.env, CI: "1" } });
}

function query<T>(sql: string): T[] {
	const out = wrangler("d1", "execute", "DB", "--local", "--json", "--command", sql);
	return (JSON.parse(out) as Array<{ results: T[] }>)[0]?.results ?? [];
}

describe("upgrading a database that has customers", () => {
	it("keeps every customer reachable and voids links made useless by a set password", () => {
		mkdirSync(join(dir, "migrations"));
		cpSync("migrations/0000_init.sql", join(dir, "migrations/0000_init.sql"));
		writeFileSync(
			join(dir, "wrangler.toml"),
			'name = "upgrade"\ncompatibility_date = "2026-11-01"\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "onboarding"\ndatabase_id = "00000000-0000-0000-0000-000000000000"\nmigrations_dir = "migrations"\n',
		);
		wrangler("d1", "migrations", "apply", "DB", "--local");
		// Two customers as the previous version stored them: one set a password (and has a spare
		// welcome link from a retried attempt), one has not.
		query(`insert into clients (id, crn, email, name, plan_code, onboarding_token_hash, checkout_status, payment_status, paid_at, created_at, updated_at) values
			('c1', 'CRN-AAAA-AAAA', 'a@example.com', 'A', 'starter', 'h1', 'complete', 'paid', 1000, 900, 1000),
			('c2', 'CRN-BBBB-BBBB', 'b@example.com', 'B', 'pro', 'h2', 'complete', 'paid', 2000, 1900, 2000)`);
		query(`insert into jobs (id, client_id, state, attempts, source, requeues, created_at, updated_at) values
			('j1', 'c1', 'WELCOME_EMAIL_SENT', 1, 'webhook', 0, 1000, 1100),
			('j2', 'c2', 'PAYMENT_CONFIRMED', 0, 'webhook', 0, 2000, 2000)`);
		query(`insert into users (id, client_id, email, password_hash, password_salt, password_iterations, password_set_at, created_at) values
			('u1', 'c1', 'a@example.com', 'x', 'y', 100000, 5000, 1100),
			('u2', 'c2', 'b@example.com', null, null, null, null, 2100)`);
		query(`insert into password_tokens (token_hash, user_id, expires_at, used_at, created_at) values
			('used', 'u1', 99999999999999, 5000, 1100), ('spare', 'u1', 99999999999999, null, 1050),
			('pending', 'u2', 99999999999999, null, 2100)`);

		cpSync("migrations/0001_customers_over_time.sql", join(dir, "migrations/0001_customers_over_time.sql"));
		wrangler("d1", "migrations", "apply", "DB", "--local");

		expect(query("select id, user_id from clients order by id")).toEqual([
			{ id: "c1", user_id: "u1" },
			{ id: "c2", user_id: "u2" },
		]);
		expect(query("select id, queued_at, completed_at from jobs order by id")).toEqual([
			{ id: "j1", queued_at: 1000, completed_at: 1100 },
			{ id: "j2", queued_at: 2000, completed_at: null },
		]);
		expect(query("select token_hash, purpose, used_at from password_tokens order by token_hash")).toEqual([
			{ token_hash: "pending", purpose: "welcome", used_at: null },
			{ token_hash: "spare", purpose: "welcome", used_at: 5000 },
			{ token_hash: "used", purpose: "welcome", used_at: 5000 },
		]);
		expect(query("select count(*) as n from webhook_events")).toEqual([{ n: 0 }]);
	});
});
