// Cold-start CPU: `wrangler check startup` profiles of the worker and the
// empty worker, the active CPU read from each .cpuprofile, summarised per worker.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BenchError, progress, STARTUP_RUNS } from "../common/knobs.ts";
import { runWrangler } from "../common/procs.ts";
import { median } from "../common/stats.ts";

export interface StartupRun {
	/** CPU ms on non-idle samples, computed from the .cpuprofile. */
	activeMs: number;
	/** endTime - startTime of the profile. */
	windowMs: number;
	samples: number;
	/** wrangler's own "Active: x ms" line, when printed. */
	printedActiveMs: number | null;
}

export interface StartupSummary {
	medianActiveMs: number;
	minActiveMs: number;
	maxActiveMs: number;
	medianWindowMs: number;
}

interface CpuProfile {
	nodes: { id: number; callFrame: { functionName: string } }[];
	startTime: number;
	endTime: number;
	samples: number[];
	timeDeltas: number[];
}

function analyseProfile(profile: CpuProfile): Omit<StartupRun, "printedActiveMs"> {
	const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
	let activeUs = 0;
	profile.samples.forEach((node, i) => {
		// As wrangler does: each sample owns the delta that precedes it.
		if (!idle.has(node)) activeUs += profile.timeDeltas[i] ?? 0;
	});
	return {
		activeMs: activeUs / 1000,
		windowMs: (profile.endTime - profile.startTime) / 1000,
		samples: profile.samples.length,
	};
}

async function startupProfile(label: string, cwd: string, outfile: string): Promise<StartupRun> {
	const r = await runWrangler(["check", "startup", "--outfile", outfile], { cwd, timeoutMs: 90_000 });
	if (r.code !== 0 || !existsSync(outfile)) {
		throw new BenchError(`${label}: wrangler check startup exited ${r.code}\n${r.stdout}\n${r.stderr}`);
	}
	const printed = /Active:\s*([\d.]+)\s*ms/.exec(r.stdout + r.stderr);
	return {
		...analyseProfile(JSON.parse(readFileSync(outfile, "utf8")) as CpuProfile),
		printedActiveMs: printed ? Number(printed[1]) : null,
	};
}

function summarise(runs: StartupRun[]): StartupSummary & { runs: StartupRun[] } {
	return {
		medianActiveMs: median(runs.map((x) => x.activeMs)),
		minActiveMs: Math.min(...runs.map((x) => x.activeMs)),
		maxActiveMs: Math.max(...runs.map((x) => x.activeMs)),
		medianWindowMs: median(runs.map((x) => x.windowMs)),
		runs,
	};
}

/** STARTUP_RUNS profiles of each worker, alternating, with the profiles written to tmp. */
export async function measureColdStart(workerDir: string, emptyDir: string, tmp: string) {
	progress(`cold-start CPU: ${STARTUP_RUNS}× wrangler check startup per worker`);
	const startup: { worker: StartupRun[]; empty: StartupRun[] } = { worker: [], empty: [] };
	for (let i = 0; i < STARTUP_RUNS; i++) {
		startup.worker.push(await startupProfile("worker", workerDir, join(tmp, `startup-worker-${i}.cpuprofile`)));
		startup.empty.push(await startupProfile("empty worker", emptyDir, join(tmp, `startup-empty-${i}.cpuprofile`)));
	}
	return { runs: STARTUP_RUNS, worker: summarise(startup.worker), empty: summarise(startup.empty) };
}
