// Child processes for the bench: wrangler runs with a deadline, long-lived
// `wrangler dev` servers in their own process group (so one kill ends workerd
// too), and CPU accounting of the workerd processes under a given pid.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { BenchError, progress } from "./knobs.ts";

const require = createRequire(import.meta.url);

/** wrangler's JS entry, run with this very node (wrangler 4 needs node >= 22). */
export const WRANGLER_JS = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");

export const CHILD_ENV: NodeJS.ProcessEnv = {
	...process.env,
	// No CLOUDFLARE_ENV: each command names its environment (--env local for
	// the product's worker); the top level is what a deploy ships.
	CLOUDFLARE_ENV: undefined,
	WRANGLER_SEND_METRICS: "false",
	// No banner, so no npm update check; no fetch of the Request.cf object from
	// workers.cloudflare.com (miniflare uses a placeholder): loopback only.
	WRANGLER_HIDE_BANNER: "true",
	CLOUDFLARE_CF_FETCH_ENABLED: "false",
	// wrangler dev's local trace collector (the local explorer's trace store)
	// runs in the same workerd and records every span and log line: about
	// 0.15 ms per D1 call and 0.7 ms per request, dev tooling that production
	// does not run in the worker's process. Off unless BENCH_LOCAL_OBSERVABILITY=1.
	X_LOCAL_OBSERVABILITY: process.env.BENCH_LOCAL_OBSERVABILITY === "1" ? "true" : "false",
	CI: "true",
	NO_COLOR: "1",
	FORCE_COLOR: "0",
};

export interface RunResult {
	code: number | null;
	stdout: string;
	stderr: string;
}

/** wrangler under this node, in its own process group (one kill ends workerd too), tracked for cleanup. */
function spawnWrangler(args: string[], cwd: string): ChildProcess {
	const child = spawn(process.execPath, [WRANGLER_JS, ...args], {
		cwd,
		env: CHILD_ENV,
		stdio: ["ignore", "pipe", "pipe"],
		detached: true,
	});
	track(child);
	return child;
}

/** Runs wrangler to completion; kills its process group and throws past the deadline. */
export function runWrangler(args: string[], opts: { cwd: string; timeoutMs: number }): Promise<RunResult> {
	return new Promise((resolve, reject) => {
		const child = spawnWrangler(args, opts.cwd);
		let stdout = "";
		let stderr = "";
		child.stdout?.on("data", (d) => {
			stdout += d;
		});
		child.stderr?.on("data", (d) => {
			stderr += d;
		});
		const timer = setTimeout(() => {
			killGroup(child, "SIGKILL");
			reject(new Error(`wrangler ${args.join(" ")} timed out after ${opts.timeoutMs} ms\n${stdout}\n${stderr}`));
		}, opts.timeoutMs);
		child.on("error", (e) => {
			clearTimeout(timer);
			reject(e);
		});
		child.on("close", (code) => {
			clearTimeout(timer);
			untrack(child);
			resolve({ code, stdout, stderr });
		});
	});
}

/** Starts a long-lived wrangler command (e.g. `dev`), logging to a file. */
export function startWrangler(args: string[], opts: { cwd: string; logFile: string }): ChildProcess {
	const log = createWriteStream(opts.logFile);
	const child = spawnWrangler(args, opts.cwd);
	child.stdout?.pipe(log, { end: false });
	child.stderr?.pipe(log, { end: false });
	child.on("close", () => {
		untrack(child);
		log.end();
	});
	return child;
}

const live = new Set<ChildProcess>();
function track(child: ChildProcess) {
	live.add(child);
}
function untrack(child: ChildProcess) {
	live.delete(child);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
	if (child.pid === undefined) return;
	try {
		process.kill(-child.pid, signal);
	} catch {
		// Already gone.
	}
}

function groupAlive(pid: number): boolean {
	try {
		process.kill(-pid, 0);
		return true;
	} catch {
		return false;
	}
}

/** SIGTERM every process group we started, then SIGKILL what is left after graceMs. */
export async function stopAll(graceMs = 5000): Promise<void> {
	const children = [...live];
	const pids = children.map((c) => c.pid).filter((p): p is number => p !== undefined);
	for (const c of children) killGroup(c, "SIGTERM");
	const deadline = Date.now() + graceMs;
	while (Date.now() < deadline && pids.some(groupAlive)) await sleep(100);
	for (const pid of pids) {
		if (groupAlive(pid)) {
			try {
				process.kill(-pid, "SIGKILL");
			} catch {}
		}
	}
	live.clear();
}

/** Synchronous last resort for process exit handlers. */
export function killAllNow(): void {
	for (const c of live) killGroup(c, "SIGKILL");
}

export function sleep(ms: number): Promise<void> {
	return new Promise((r) => setTimeout(r, ms));
}

export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.on("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const address = server.address();
			const port = typeof address === "object" && address ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

export const CLK_TCK = (() => {
	try {
		return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
	} catch {
		return 100;
	}
})();

interface ProcStat {
	pid: number;
	comm: string;
	ppid: number;
	ticks: number;
}

function readStat(pid: number): ProcStat | null {
	let text: string;
	try {
		text = readFileSync(`/proc/${pid}/stat`, "utf8");
	} catch {
		return null;
	}
	// comm is in parentheses and may contain spaces: split after the last ')'.
	const open = text.indexOf("(");
	const close = text.lastIndexOf(")");
	const comm = text.slice(open + 1, close);
	const rest = text.slice(close + 2).split(" ");
	// rest[0] is field 3 (state); field n is rest[n - 3].
	const ppid = Number(rest[4 - 3]);
	const utime = Number(rest[14 - 3]);
	const stime = Number(rest[15 - 3]);
	return { pid, comm, ppid, ticks: utime + stime };
}

function allStats(): ProcStat[] {
	const out: ProcStat[] = [];
	for (const name of readdirSync("/proc")) {
		if (!/^\d+$/.test(name)) continue;
		const s = readStat(Number(name));
		if (s) out.push(s);
	}
	return out;
}

/** All descendants of rootPid (not rootPid itself). */
export function descendants(rootPid: number): ProcStat[] {
	const stats = allStats();
	const byParent = new Map<number, ProcStat[]>();
	for (const s of stats) {
		const list = byParent.get(s.ppid) ?? [];
		list.push(s);
		byParent.set(s.ppid, list);
	}
	const out: ProcStat[] = [];
	const queue = [rootPid];
	while (queue.length > 0) {
		const pid = queue.shift() as number;
		for (const child of byParent.get(pid) ?? []) {
			out.push(child);
			queue.push(child.pid);
		}
	}
	return out;
}

export interface CpuSample {
	/** CPU ms (utime + stime) summed over the workerd processes under the root. */
	workerdMs: number;
	/** CPU ms of the wrangler (node) processes: the root and its node children. */
	wranglerMs: number;
	workerdPids: number[];
}

export function sampleCpu(rootPid: number): CpuSample {
	const toMs = (ticks: number) => (ticks * 1000) / CLK_TCK;
	const tree = descendants(rootPid);
	const workerd = tree.filter((s) => s.comm.startsWith("workerd"));
	const root = readStat(rootPid);
	const nodeTicks = (root?.ticks ?? 0) + tree.filter((s) => s.comm.startsWith("node")).reduce((a, s) => a + s.ticks, 0);
	return {
		workerdMs: toMs(workerd.reduce((a, s) => a + s.ticks, 0)),
		wranglerMs: toMs(nodeTicks),
		workerdPids: workerd.map((s) => s.pid),
	};
}

/**
 * Runs a bench's main under an overall deadline: on SIGINT/SIGTERM, the
 * deadline, a failure or exit, every wrangler process group started is ended.
 */
export function runBench(main: () => Promise<void>, timeoutS: number): void {
	let interrupted = false;
	process.on("exit", killAllNow);
	for (const signal of ["SIGINT", "SIGTERM"] as const) {
		process.on(signal, () => {
			interrupted = true;
			progress(`${signal}: stopping`);
			void stopAll(2000).finally(() => process.exit(130));
		});
	}
	const watchdog = setTimeout(() => {
		interrupted = true;
		progress(`overall deadline of ${timeoutS} s passed: stopping`);
		void stopAll(2000).finally(() => process.exit(2));
	}, timeoutS * 1000);
	main()
		.then(() => {
			clearTimeout(watchdog);
		})
		.catch(async (error) => {
			clearTimeout(watchdog);
			if (interrupted) return;
			process.stderr.write(`\nbench failed: ${error instanceof Error ? error.message : String(error)}\n`);
			if (!(error instanceof BenchError) && error instanceof Error) process.stderr.write(`${error.stack}\n`);
			await stopAll();
			process.exitCode = 1;
		});
}
