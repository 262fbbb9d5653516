// `wrangler dev` instances: starting one until it answers, reading its log,
// and repeating a phase a reload spoilt.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { httpRequest } from "./http.ts";
import { BenchError, progress, RESULTS_DIR } from "./knobs.ts";
import { freePort, sampleCpu, sleep, startWrangler } from "./procs.ts";

export interface DevServer {
	label: string;
	readyPath: string;
	origin: string;
	pid: number;
	logFile: string;
}

export function logTail(file: string, lines = 40): string {
	try {
		return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
	} catch {
		return "(no log)";
	}
}

export function countInLog(file: string, needle: string): number {
	try {
		return readFileSync(file, "utf8").split(needle).length - 1;
	} catch {
		return 0;
	}
}

/** Waits until the log shows `needle` at least `target` times; false if it did not within timeoutMs. */
export async function waitForLog(file: string, needle: string, target: number, timeoutMs: number): Promise<boolean> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (countInLog(file, needle) >= target) return true;
		await sleep(100);
	}
	return false;
}

/** Starts `wrangler dev` on loopback, logging to bench-results/, and waits until readyPath answers 200. */
export async function startDev(
	label: string,
	cwd: string,
	port: number,
	extraArgs: string[],
	readyPath: string,
): Promise<DevServer> {
	const inspectorPort = await freePort();
	const logFile = join(RESULTS_DIR, `wrangler-dev-${label}-worker.log`);
	const child = startWrangler(
		[
			"dev",
			"--ip",
			"127.0.0.1",
			"--port",
			String(port),
			"--inspector-port",
			String(inspectorPort),
			"--show-interactive-dev-session=false",
			...extraArgs,
		],
		{ cwd, logFile },
	);
	const origin = `http://127.0.0.1:${port}`;
	let exited: number | null | undefined;
	child.on("exit", (code) => {
		exited = code;
	});
	const deadline = Date.now() + 120_000;
	let last = "";
	while (Date.now() < deadline) {
		if (exited !== undefined) throw new BenchError(`${label}: wrangler dev exited (${exited})\n${logTail(logFile)}`);
		try {
			const res = await httpRequest(origin, { method: "GET", path: readyPath }, undefined, 5_000);
			if (res.status === 200) return { label, readyPath, origin, pid: child.pid as number, logFile };
			last = `${res.status} ${res.body.slice(0, 300)}`;
		} catch (error) {
			last = (error as Error).message;
		}
		await sleep(250);
	}
	throw new BenchError(`${label}: not ready after 120 s (last: ${last})\n${logTail(logFile)}`);
}

const RELOADING = "Reloading local server";
const RELOADED = "Local server updated and ready";
let reloadRetries = 0;

/** How many phases were repeated because `wrangler dev` reloaded mid-phase. */
export function reloadRetryCount(): number {
	return reloadRetries;
}

/**
 * Runs one measured phase; if `wrangler dev` reloaded the worker meanwhile (a
 * file its bundler watches changed, e.g. the repo's package.json or something
 * in node_modules), the new workerd's counters and cold isolate make the phase
 * meaningless: wait for the reload to finish and run the whole phase again.
 */
export async function withReloadRetry<T>(label: string, server: DevServer, attempt: () => Promise<T>): Promise<T> {
	for (let tries = 1; ; tries++) {
		const reloadsBefore = countInLog(server.logFile, RELOADING);
		const pidsBefore = sampleCpu(server.pid).workerdPids.join();
		let value: T | undefined;
		let failure: { error: unknown } | undefined;
		try {
			value = await attempt();
		} catch (error) {
			// Rethrown below unless a reload explains it.
			failure = { error };
		}
		const reloaded =
			countInLog(server.logFile, RELOADING) !== reloadsBefore ||
			sampleCpu(server.pid).workerdPids.join() !== pidsBefore;
		if (!reloaded) {
			if (failure) throw failure.error;
			return value as T;
		}
		if (tries >= 3) {
			throw new BenchError(
				`${label}: wrangler dev reloaded the ${server.label} worker during each of ${tries} attempts ` +
					"(a file its bundler watches keeps changing, e.g. package.json or node_modules)",
			);
		}
		reloadRetries++;
		progress(
			`${label}: wrangler dev reloaded the ${server.label} worker mid-phase (a watched file changed); repeating`,
		);
		await waitReloaded(server);
	}
}

async function waitReloaded(server: DevServer): Promise<void> {
	const deadline = Date.now() + 60_000;
	while (Date.now() < deadline) {
		if (countInLog(server.logFile, RELOADED) >= countInLog(server.logFile, RELOADING)) {
			try {
				const res = await httpRequest(server.origin, { method: "GET", path: server.readyPath }, undefined, 5_000);
				if (res.status === 200) return;
			} catch {}
		}
		await sleep(250);
	}
	throw new BenchError(`${server.label}: not ready 60 s after a reload\n${logTail(server.logFile)}`);
}
