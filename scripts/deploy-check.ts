// What a deploy would ship, checked without deploying: wrangler.toml's top
// level (no loopback origin, no dev tools, no outbox, only the secrets every
// deployment needs, the bindings local work uses, no placeholder database id)
// and the bundle `wrangler deploy --dry-run` builds. The CLI is deploy-check-cli.ts.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { type Unstable_Config, unstable_readConfig } from "wrangler";

/** The environment local work runs (`--env local`); a deploy ships the top level. */
export const LOCAL_ENV = "local";
/**
 * `--env=""` names the top level: without it wrangler warns that several
 * environments exist, and an exported CLOUDFLARE_ENV would pick another one.
 */
export const TOP_LEVEL = ["--env", ""];
/** Every deployment needs these; the doctor checks the rest (webhook secret for the key's mode, mail key). */
export const REQUIRED_SECRETS = ["STRIPE_SECRET_KEY", "ADMIN_TOKEN"];
/** Every secret the worker reads; none of them belongs in the shipped [vars]. */
const SECRET_NAMES = [
	...REQUIRED_SECRETS,
	"STRIPE_WEBHOOK_SECRET_TEST",
	"STRIPE_WEBHOOK_SECRET_LIVE",
	"STRIPE_WEBHOOK_SECRET",
	"MAIL_API_KEY",
	"APP_WEBHOOK_SECRET",
	"APP_API_KEY",
];
const DATABASE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// 60 KiB held until refunds, disputes, trials, one-time plans, the operator's
// app (webhooks out, the access API), the mail guards, plans by lookup key and
// alerts came in; together they cost about 12 KiB gzip (67.7 KiB measured).
export const MAX_BUNDLE_GZIP_BYTES = 72 * 1024;
const LOOPBACK = /^https?:\/\/(localhost|127\.|\[::1\])/i;

export interface DeployReport {
	errors: string[];
	/** Template values (REPLACE_ME) an operator must fill in before a real deploy. */
	placeholders: string[];
}

function read(configPath: string, env?: string): Unstable_Config {
	return unstable_readConfig({ config: configPath, env }, { hideWarnings: true });
}

const names = (items: Array<{ binding?: string; name?: string; queue?: string }> | undefined) =>
	(items ?? []).map((i) => i.binding ?? i.name ?? i.queue ?? "").sort();

export function checkProductionConfig(configPath: string): DeployReport {
	const prod = read(configPath);
	const local = read(configPath, LOCAL_ENV);
	const errors: string[] = [];
	const vars = prod.vars as Record<string, unknown>;
	const appUrl = String(vars.APP_URL ?? "");
	if (!appUrl.startsWith("https://") || LOOPBACK.test(appUrl)) {
		errors.push(`APP_URL must be the public https origin in production (it is "${appUrl}")`);
	}
	if (vars.DEV_TOOLS) errors.push("DEV_TOOLS must not be set in production");
	if ((vars.MAIL_TRANSPORT ?? "outbox") === "outbox")
		errors.push("MAIL_TRANSPORT must be a real provider in production");
	for (const base of ["STRIPE_API_BASE", "MAIL_API_BASE"]) {
		if (vars[base] && !String(vars[base]).startsWith("https://")) errors.push(`${base} must be https:// in production`);
	}
	const secrets = [...(prod.secrets?.required ?? [])].sort();
	if (secrets.join() !== [...REQUIRED_SECRETS].sort().join()) {
		errors.push(
			`[secrets] required must be exactly ${REQUIRED_SECRETS.join(", ")} (it is ${secrets.join(", ") || "empty"})`,
		);
	}
	const compare: Array<[string, string[], string[]]> = [
		["D1 databases", names(local.d1_databases), names(prod.d1_databases)],
		["queue producers", names(local.queues.producers), names(prod.queues.producers)],
		["queue consumers", names(local.queues.consumers), names(prod.queues.consumers)],
		["rate limiters", names(local.ratelimits), names(prod.ratelimits)],
		["cron triggers", [...(local.triggers.crons ?? [])].sort(), [...(prod.triggers.crons ?? [])].sort()],
	];
	for (const [what, inLocal, inProd] of compare) {
		const missing = inLocal.filter((n) => !inProd.includes(n));
		if (missing.length) errors.push(`production lacks ${what}: ${missing.join(", ")}`);
		const untested = inProd.filter((n) => !inLocal.includes(n));
		if (untested.length) errors.push(`[env.${LOCAL_ENV}] lacks ${what} that production has: ${untested.join(", ")}`);
	}
	const dlq = prod.queues.consumers?.find((c) => c.dead_letter_queue);
	if (!dlq) errors.push("the work queue's consumer has no dead_letter_queue in production");
	// A placeholder id fails the deploy; with no id wrangler finds the database by name or creates it.
	for (const db of prod.d1_databases) {
		if (db.database_id !== undefined && (!DATABASE_ID.test(db.database_id) || /^[0-]+$/.test(db.database_id)))
			errors.push(`d1_databases.${db.binding}.database_id "${db.database_id}" is not a database id: remove it`);
	}
	for (const name of SECRET_NAMES) {
		if (vars[name]) errors.push(`${name} is a secret: set it with wrangler secret put, not in [vars]`);
	}
	// Without a secrets table of its own, local work inherits no secrets but wrangler warns on every start.
	if (!local.secrets) errors.push(`[env.${LOCAL_ENV}] needs its own [env.${LOCAL_ENV}.secrets] table`);
	const placeholders = Object.entries(vars)
		.filter(([, v]) => String(v).includes("REPLACE_ME"))
		.map(([k]) => `vars.${k}`);
	return { errors, placeholders };
}

/** Bundles the top level with `wrangler deploy --dry-run`, as `npm run deploy` would; its files and gzip size. */
export function dryRunBundle(cwd: string): { ok: boolean; output: string; files: string[]; gzipBytes: number } {
	const outdir = mkdtempSync(join(tmpdir(), "onboarding-dry-run-"));
	try {
		const run = spawnSync(
			join(cwd, "node_modules/.bin/wrangler"),
			["deploy", "--dry-run", ...TOP_LEVEL, "--outdir", outdir],
			{ cwd, encoding: "utf8", env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" } },
		);
		const files = readdirSync(outdir);
		const main = files.find((f) => f.endsWith(".js"));
		const gzipBytes = main ? gzipSync(readFileSync(join(outdir, main))).length : 0;
		const sized = files.map((f) => `${f} ${statSync(join(outdir, f)).size} B`);
		return { ok: run.status === 0 && !!main, output: `${run.stdout}${run.stderr}`, files: sized, gzipBytes };
	} finally {
		rmSync(outdir, { recursive: true, force: true });
	}
}
