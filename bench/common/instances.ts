// The code the bench serves and how it is prepared: fixed snapshots of the
// worker (one with provisioning paused), copies of the empty worker, the
// bundles `wrangler deploy --dry-run` builds from them and their local D1.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { BenchError, EMPTY_SRC, ROOT } from "./knobs.ts";
import { runWrangler } from "./procs.ts";

// ---------------------------------------------------------------- snapshots

/**
 * Copies the Worker's sources and config to dir (node_modules linked), so the
 * bench builds, profiles and serves one fixed version: edits made to the work
 * tree during the run neither reload `wrangler dev` mid-workload nor mix versions.
 */
export function snapshotWorker(dir: string): void {
	mkdirSync(dir, { recursive: true });
	for (const entry of [
		"wrangler.toml",
		"package.json",
		"tsconfig.json",
		"worker-configuration.d.ts",
		"src",
		"migrations",
		"public",
	]) {
		const from = join(ROOT, entry);
		if (existsSync(from)) cpSync(from, join(dir, entry), { recursive: true });
	}
	symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
}

/**
 * Copies the empty worker to dir, so wrangler's .wrangler/ lands there, not in
 * bench/. With assets it is the floor: the same empty worker with the
 * product's pages and asset routing (wrangler-assets.toml).
 */
export function copyEmptyWorker(dir: string, { withAssets }: { withAssets: boolean }): void {
	cpSync(EMPTY_SRC, dir, { recursive: true, filter: (f) => !f.includes(".wrangler") });
	if (withAssets) {
		cpSync(join(EMPTY_SRC, "wrangler-assets.toml"), join(dir, "wrangler.toml"));
		cpSync(join(ROOT, "public"), join(dir, "public"), { recursive: true });
	}
	symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
}

// ---------------------------------------------------------------- the paused copy

/** The producer block's queue line in the local environment of a worker snapshot; the paused copy adds a delivery delay after it. */
const WORK_PRODUCER =
	/^(\[\[env\.local\.queues\.producers\]\][ \t]*\r?\n(?:[^[\r\n][^\r\n]*\r?\n)*?)(queue = "onboarding-work"[ \t]*\r?\n)/gm;
/**
 * The `[env.local]` table and its sub-tables (`[[env.local.queues.producers]]`,
 * …) up to the next table outside it. The bench runs wrangler with
 * `--env local`, so this is the configuration it serves; the top level is
 * what a deploy ships.
 */
const LOCAL_ENV_TABLES =
	/^[ \t]*\[[ \t]*env[ \t]*\.[ \t]*local[ \t]*\][\s\S]*?(?=^[ \t]*\[(?!\[?[ \t]*env[ \t]*\.[ \t]*local\b)|(?![\s\S]))/m;
/** Longer than any bench run (BENCH_TIMEOUT_S is at most 1800 s). */
export const PAUSED_DELIVERY_DELAY_S = 3600;

/** A wrangler.toml split around its `[env.local]` tables: what comes before, the local tables, what comes after. */
function splitLocal(text: string): { before: string; local: string; after: string } {
	const match = LOCAL_ENV_TABLES.exec(text);
	if (!match) return { before: text, local: "", after: "" };
	const at = match.index;
	const end = at + match[0].length;
	return { before: text.slice(0, at), local: match[0], after: text.slice(end) };
}

/**
 * Pauses provisioning in a snapshot's wrangler.toml: the local environment's
 * work-queue producer gets `delivery_delay = 3600`, so the local queue accepts
 * every webhook's message and holds it for an hour. The consumer stays
 * attached, as in production: a queue with no consumer at all costs each send
 * a lookup in the dev registry and a debug log line (about 0.7 ms of workerd
 * CPU), which is not the webhook's cost. Only `[env.local]` is edited; the rest
 * of the file is kept byte for byte. Throws unless exactly that one block was
 * changed.
 */
export function pauseProvisioning(dir: string): void {
	const file = join(dir, "wrangler.toml");
	const { before, local, after } = splitLocal(readFileSync(file, "utf8"));
	const found = local.match(WORK_PRODUCER)?.length ?? 0;
	if (found !== 1 || /^delivery_delay\b/m.test(local)) {
		throw new BenchError(
			`${file}: expected exactly one \`queue = "onboarding-work"\` line in an \`[[env.local.queues.producers]]\` block ` +
				`and no delivery_delay, found ${found}; cannot pause provisioning for the paused instance`,
		);
	}
	const delay = `delivery_delay = ${PAUSED_DELIVERY_DELAY_S}`;
	writeFileSync(file, before + local.replace(WORK_PRODUCER, `$1$2${delay}\n`) + after);
	const patched = splitLocal(readFileSync(file, "utf8"));
	if (
		patched.local.split(/\r?\n/).filter((l) => l.trim() === delay).length !== 1 ||
		patched.before !== before ||
		patched.after !== after
	) {
		throw new BenchError(`${file}: adding delivery_delay to the work-queue producer did not take`);
	}
}

// ---------------------------------------------------------------- source, builds, D1

export function gitDescribe(): { commit: string | null; dirtyFiles: number | null } {
	try {
		const commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
		const status = execFileSync("git", ["status", "--porcelain", "--", "src", "migrations", "wrangler.toml"], {
			cwd: ROOT,
			encoding: "utf8",
		});
		return { commit, dirtyFiles: status.split("\n").filter((l) => l.trim() !== "").length };
	} catch {
		return { commit: null, dirtyFiles: null };
	}
}

export interface BundleSize {
	files: string[];
	rawBytes: number;
	gzipBytes: number;
}

export async function buildBundle(label: string, cwd: string, outdir: string): Promise<BundleSize> {
	const r = await runWrangler(["deploy", "--dry-run", "--outdir", outdir], { cwd, timeoutMs: 90_000 });
	if (r.code !== 0)
		throw new BenchError(`${label}: wrangler deploy --dry-run exited ${r.code}\n${r.stdout}\n${r.stderr}`);
	const files = readdirSync(outdir).filter((f) => /\.(m?js|cjs)$/.test(f));
	if (files.length === 0) throw new BenchError(`${label}: no .js in ${outdir}: ${readdirSync(outdir).join(", ")}`);
	let rawBytes = 0;
	let gzipBytes = 0;
	for (const f of files) {
		const data = readFileSync(join(outdir, f));
		rawBytes += data.length;
		gzipBytes += gzipSync(data, { level: 9 }).length;
	}
	return { files, rawBytes, gzipBytes };
}

/** Applies the snapshot's D1 migrations to a fresh local persist dir. */
export async function applyMigrations(label: string, cwd: string, persistTo: string): Promise<void> {
	const mig = await runWrangler(
		["d1", "migrations", "apply", "DB", "--local", "--env", "local", "--persist-to", persistTo],
		{
			cwd,
			timeoutMs: 90_000,
		},
	);
	if (mig.code !== 0) {
		throw new BenchError(`${label}: d1 migrations apply exited ${mig.code}\n${mig.stdout}\n${mig.stderr}`);
	}
}
