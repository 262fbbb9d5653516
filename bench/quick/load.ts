// A small closed-loop load generator: a fixed number of workers over one
// keep-alive agent, each sending its next request as soon as the previous one
// answers. Bounded by request count, a per-request timeout and a phase deadline;
// a phase that failed is reported with the server's log.
import http from "node:http";
import { type DevServer, logTail } from "../common/dev-servers.ts";
import { httpRequest, type LoadRequest } from "../common/http.ts";
import { BenchError } from "../common/knobs.ts";
import { percentile } from "../common/stats.ts";

export interface LoadOptions {
	/** e.g. http://127.0.0.1:8787 */
	origin: string;
	/** How many requests to send in total. */
	count: number;
	concurrency: number;
	/** Builds request i (0-based) just before it is sent. */
	request: (i: number) => LoadRequest;
	/** Status codes that count as success; default [200]. */
	okStatus?: number[];
	requestTimeoutMs?: number;
	/** The phase stops sending new requests past this and reports what it has. */
	deadlineMs?: number;
}

export interface LoadFailure {
	i: number;
	status: number;
	body: string;
}

export interface LoadResult {
	sent: number;
	ok: number;
	failed: number;
	/** Wall-clock ms from first send to last answer. */
	elapsedMs: number;
	reqPerSec: number;
	/** Per-request latency (ms) of successful requests, sorted ascending. */
	latencies: number[];
	p50: number;
	p95: number;
	p99: number;
	/** The first few failures, with the response body. */
	failures: LoadFailure[];
	/** Response bodies by request index (only when keepBodies). */
	bodies?: string[];
	timedOut: boolean;
}

export async function runLoad(opts: LoadOptions & { keepBodies?: boolean }): Promise<LoadResult> {
	const okStatus = new Set(opts.okStatus ?? [200]);
	const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
	const latencies: number[] = [];
	const failures: LoadFailure[] = [];
	const bodies: string[] | undefined = opts.keepBodies ? new Array(opts.count) : undefined;
	const deadline = performance.now() + (opts.deadlineMs ?? 60_000);
	let next = 0;
	let ok = 0;
	let failed = 0;
	let timedOut = false;

	async function worker() {
		while (next < opts.count) {
			if (performance.now() > deadline) {
				timedOut = true;
				return;
			}
			const i = next++;
			const req = opts.request(i);
			try {
				const res = await httpRequest(opts.origin, req, agent, opts.requestTimeoutMs);
				if (bodies) bodies[i] = res.body;
				if (okStatus.has(res.status)) {
					ok++;
					latencies.push(res.ms);
				} else {
					failed++;
					if (failures.length < 5) failures.push({ i, status: res.status, body: res.body.slice(0, 2000) });
				}
			} catch (error) {
				failed++;
				if (failures.length < 5) failures.push({ i, status: 0, body: String((error as Error).message ?? error) });
			}
		}
	}

	const start = performance.now();
	try {
		await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, worker));
	} finally {
		agent.destroy();
	}
	const elapsedMs = performance.now() - start;
	latencies.sort((a, b) => a - b);
	return {
		sent: next,
		ok,
		failed,
		elapsedMs,
		reqPerSec: ((ok + failed) * 1000) / elapsedMs,
		latencies,
		p50: percentile(latencies, 50),
		p95: percentile(latencies, 95),
		p99: percentile(latencies, 99),
		failures,
		bodies,
		timedOut,
	};
}

/** Throws if any request of a load phase failed or the phase hit its deadline, with the server's log tail. */
export function failOn(what: string, result: LoadResult, server: DevServer) {
	if (result.failed === 0 && !result.timedOut) return;
	const shown = result.failures.map((f) => `  #${f.i}: HTTP ${f.status} ${f.body}`).join("\n");
	throw new BenchError(
		`${what}: ${result.failed} of ${result.sent} failed${result.timedOut ? " (phase deadline hit)" : ""}\n${shown}\n` +
			`--- last lines of ${server.logFile}:\n${logTail(server.logFile)}`,
	);
}
