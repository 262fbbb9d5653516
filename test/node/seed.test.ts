// `npm run seed`: the generated SQL names only columns the schema has, runs
// against a database migrated as `wrangler d1 migrations apply` migrates it
// (foreign keys on), runs again without a conflict, and fills every panel of
// the console: a day of checkouts, a failed job with its error, past due,
// refunded and disputed plans, the ledger and deliveries to the app.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { is } from "drizzle-orm";
import { getTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedSql, seedTables } from "../../scripts/seed-sql.ts";
import * as schema from "../../src/db/schema.ts";
import * as serviceSchema from "../../src/db/schema-service.ts";

const run = promisify(execFile);
const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const HOUR = 3_600_000;
let dir: string;

function wrangler(...args: string[]) {
	return run(
		process.execPath,
		["node_modules/wrangler/bin/wrangler.js", ...args, "--local", "--env", "local", "--persist-to", dir],
		{
			env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" },
		},
	);
}

async function query<T>(sql: string): Promise<T[]> {
	const { stdout } = await wrangler("d1", "execute", "DB", "--json", "--command", sql);
	return (JSON.parse(stdout) as { results: T[] }[])[0]?.results ?? [];
}

beforeAll(async () => {
	dir = await mkdtemp(join(tmpdir(), "seed-"));
	await wrangler("d1", "migrations", "apply", "DB");
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("npm run seed", () => {
	it("names only columns the drizzle schema declares", () => {
		const tables = new Map(
			Object.values({ ...schema, ...serviceSchema })
				.filter((v) => is(v, SQLiteTable))
				.map((t) => {
					const config = getTableConfig(t);
					return [config.name, new Set(config.columns.map((c) => c.name))] as const;
				}),
		);
		for (const { table, rows } of seedTables(NOW)) {
			const columns = tables.get(table.replace(/:.*$/, ""));
			expect(columns, table).toBeDefined();
			for (const row of rows)
				for (const column of Object.keys(row)) expect(columns?.has(column), `${table}.${column}`).toBe(true);
		}
	});

	it("loads into a migrated local D1 twice, replacing its own rows", async () => {
		const file = join(dir, "seed.sql");
		await writeFile(file, seedSql(NOW));
		await wrangler("d1", "execute", "DB", "--file", file);
		await wrangler("d1", "execute", "DB", "--file", file);
		const [counts] = await query<Record<string, number>>(
			`select (select count(*) from clients) clients, (select count(*) from users) users,
			 (select count(*) from clients where user_id is not null) joined, (select count(*) from jobs) jobs`,
		);
		expect(counts).toEqual({ clients: 12, users: 6, joined: 7, jobs: 10 });
	}, 120_000);

	it("fills every panel of the console within the last 24 hours", async () => {
		const from = NOW - 24 * HOUR;
		const [figures] = await query<Record<string, number>>(
			`select
			 (select count(*) from clients where created_at >= ${from}) started,
			 (select count(*) from clients where paid_at >= ${from}) paid,
			 (select count(*) from jobs where completed_at >= ${from}) provisioned,
			 (select count(*) from jobs where state = 'FAILED' and last_error like 'Resend answered 422%') failed,
			 (select count(*) from jobs where state in ('PAYMENT_CONFIRMED', 'PROVISIONING_STARTED')) waiting,
			 (select count(*) from clients where subscription_status = 'past_due' and past_due_since is not null) past_due,
			 (select count(*) from clients where refunded_at is not null) refunded,
			 (select count(*) from clients c join disputes d on d.client_id = c.id where c.dispute_state = 'open') disputed,
			 (select count(distinct email) from clients where user_id is not null group by email having count(*) > 1) returning_customers,
			 (select count(*) from webhook_events where received_at >= ${from}) ledger,
			 (select count(*) from webhook_events where deliveries > 1) duplicates,
			 (select count(*) from webhook_events where client_id is null) ignored,
			 (select count(distinct status) from app_deliveries) delivery_states,
			 (select count(distinct cast((created_at - ${from}) / ${HOUR} as integer)) from jobs) hours`,
		);
		expect(figures).toEqual({
			started: 12,
			paid: 10,
			provisioned: 7,
			failed: 1,
			waiting: 2,
			past_due: 1,
			refunded: 1,
			disputed: 1,
			returning_customers: 1,
			ledger: 24,
			duplicates: 1,
			ignored: 1,
			delivery_states: 3,
			hours: 9,
		});
	}, 120_000);
});
