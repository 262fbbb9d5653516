// The measured workloads: the webhook (alone and with provisioning), status
// polls and the floor's GETs, webhook → completed latency, and their figures.
import http from "node:http";
import { countInLog, type DevServer, logTail, waitForLog } from "../common/dev-servers.ts";
import { httpRequest, type LoadRequest } from "../common/http.ts";
import {
	BenchError,
	CONCURRENCY,
	LATENCY_CLIENTS,
	LATENCY_RATE,
	N,
	POLLS,
	progress,
	WARM_UP,
} from "../common/knobs.ts";
import { type CpuSample, sampleCpu, sleep } from "../common/procs.ts";
import { median, percentile } from "../common/stats.ts";
import { type ClientInfo, createClients, signedWebhook, statusPoll } from "./clients.ts";
import { failOn, type LoadResult, runLoad } from "./load.ts";

/** The floor's request: an API path, so it passes the asset router and runs the worker. */
export const FLOOR_PATH = "/api/empty";

/** Workload A alone: the webhook on the paused instance, no provisioning running. */
export async function webhookAlone(paused: DevServer) {
	progress(`workload A alone: creating ${N + WARM_UP} clients on the paused worker through POST /api/checkout`);
	const fresh = await createClients(paused, N + WARM_UP);
	// Warm the route (JIT, D1 pages) on clients outside the measured set, as the empty worker is warmed.
	// Signed before the phase, so the load generator's own HMAC work is not timed.
	const warmUp = await Promise.all(fresh.slice(N).map(signedWebhook));
	const warm = await runLoad({
		origin: paused.origin,
		count: WARM_UP,
		concurrency: CONCURRENCY,
		request: (i) => warmUp[i] as LoadRequest,
	});
	failOn("webhook warm-up (paused worker)", warm, paused);
	progress(`workload A alone: ${N} webhooks at concurrency ${CONCURRENCY}, provisioning held back`);
	return postWebhooks(paused, fresh.slice(0, N), "POST /api/webhook/stripe (paused worker)");
}

/** The paused instance must never provision: its queue holds every message for an hour. */
export function assertPausedIdle(paused: DevServer, when: string) {
	const completed = countInLog(paused.logFile, "PROVISIONING_COMPLETED");
	if (completed > 0) {
		throw new BenchError(
			`paused worker logged PROVISIONING_COMPLETED ${completed}× ${when}: its queue did not hold the messages back\n` +
				`--- last lines of ${paused.logFile}:\n${logTail(paused.logFile)}`,
		);
	}
}

/**
 * Workload A with concurrent provisioning: one signed checkout.session.completed
 * per real client, while the real instance's queue consumer provisions.
 */
export async function webhooksWithProvisioning(real: DevServer) {
	progress(`workload A: creating ${N} clients through POST /api/checkout`);
	const clients = await createClients(real, N);
	const completedBefore = countInLog(real.logFile, "PROVISIONING_COMPLETED");
	progress(`workload A: ${N} webhooks at concurrency ${CONCURRENCY}, with concurrent provisioning`);
	const { result, before, after } = await postWebhooks(real, clients, "POST /api/webhook/stripe");
	// CPU until the queue consumer finished every job, read from the log (no requests).
	const drained = await waitForLog(real.logFile, "PROVISIONING_COMPLETED", completedBefore + N, 60_000);
	const provisioned = sampleCpu(real.pid);
	if (!drained) progress("warning: not every PROVISIONING_COMPLETED line seen in the log within 60 s");
	progress("checking every client reports provisioning completed");
	await waitAllCompleted(real, clients, 60_000);
	return { clients, result, before, after, provisioned, drained };
}

/** One signed webhook per client at the fixed concurrency, with workerd CPU sampled around it. */
async function postWebhooks(server: DevServer, clients: ClientInfo[], what: string) {
	const requests = await Promise.all(clients.map(signedWebhook));
	const before = sampleCpu(server.pid);
	const result = await runLoad({
		origin: server.origin,
		count: requests.length,
		concurrency: CONCURRENCY,
		keepBodies: true,
		deadlineMs: 90_000,
		request: (i) => requests[i] as LoadRequest,
	});
	const after = sampleCpu(server.pid);
	failOn(what, result, server);
	const notFresh = (result.bodies as string[]).filter((b) => !b.includes('"duplicate":false'));
	if (notFresh.length > 0) throw new BenchError(`webhook answered without duplicate:false, e.g. ${notFresh[0]}`);
	return { result, before, after };
}

/** Polls each client's status (bounded) until every one reports provisioning completed. */
async function waitAllCompleted(server: DevServer, clients: ClientInfo[], timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	let pending = clients;
	while (pending.length > 0) {
		if (Date.now() > deadline) {
			throw new BenchError(
				`${pending.length} of ${clients.length} clients not provisioned after ${timeoutMs} ms; e.g. ${pending[0]?.clientId}\n` +
					`--- last lines of ${server.logFile}:\n${logTail(server.logFile)}`,
			);
		}
		const result = await runLoad({
			origin: server.origin,
			count: pending.length,
			concurrency: CONCURRENCY,
			keepBodies: true,
			deadlineMs: 60_000,
			request: (i) => statusPoll(pending[i] as ClientInfo),
		});
		failOn("GET /api/portal/setup-status", result, server);
		pending = pending.filter((_, i) => {
			const state = (JSON.parse((result.bodies as string[])[i] as string) as { provisioning_state?: string })
				.provisioning_state;
			if (state === "failed") throw new BenchError(`client ${pending[i]?.clientId}: provisioning failed`);
			return state !== "completed";
		});
		if (pending.length > 0) await sleep(250);
	}
}

/**
 * POLLS GET requests at CONCURRENCY after WARM_UP unmeasured ones (JIT, D1
 * pages), with the workerd CPU sampled around the measured part.
 */
export async function measureGets(server: DevServer, what: string, request: (i: number) => LoadRequest) {
	progress(`${what}: ${POLLS} requests on the ${server.label} worker at concurrency ${CONCURRENCY}`);
	const warm = await runLoad({ origin: server.origin, count: WARM_UP, concurrency: CONCURRENCY, request });
	failOn(`${what} warm-up (${server.label} worker)`, warm, server);
	const before = sampleCpu(server.pid);
	const result = await runLoad({
		origin: server.origin,
		count: POLLS,
		concurrency: CONCURRENCY,
		deadlineMs: 90_000,
		request,
	});
	const after = sampleCpu(server.pid);
	failOn(`${what} (${server.label} worker)`, result, server);
	return { result, before, after };
}

/** Webhook → completed latency for LATENCY_CLIENTS fresh clients, one webhook every 1/LATENCY_RATE s. */
export async function webhookToCompleted(server: DevServer) {
	progress(`webhook → completed: ${LATENCY_CLIENTS} fresh clients at ${LATENCY_RATE}/s`);
	const clients = await createClients(server, LATENCY_CLIENTS);
	const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
	const intervalMs = 1000 / LATENCY_RATE;
	const perClientTimeoutMs = 30_000;
	// Bounded like the other phases: at most 2000 requests in all.
	let budget = 2000 - clients.length;
	const start = performance.now();
	const tasks = clients.map(async (client, i) => {
		const at = start + i * intervalMs;
		await sleep(Math.max(0, at - performance.now()));
		const req = await signedWebhook(client);
		const sent = performance.now();
		const hook = await httpRequest(server.origin, req, agent, 10_000);
		if (hook.status !== 200) return { error: `webhook HTTP ${hook.status} ${hook.body}` };
		let polls = 0;
		while (performance.now() - sent < perClientTimeoutMs) {
			if (budget-- <= 0) return { error: "poll budget of 2000 requests for this phase exhausted" };
			const pollStart = performance.now();
			const res = await httpRequest(server.origin, statusPoll(client), agent, 10_000);
			polls++;
			if (res.status !== 200) return { error: `status HTTP ${res.status} ${res.body}` };
			const state = (JSON.parse(res.body) as { provisioning_state?: string }).provisioning_state;
			if (state === "completed") return { ms: performance.now() - sent, polls, webhookMs: hook.ms };
			if (state === "failed") return { error: "provisioning_state failed" };
			await sleep(Math.max(0, pollStart + 10 - performance.now()));
		}
		return { error: `not completed within ${perClientTimeoutMs} ms` };
	});
	const results = await Promise.all(tasks);
	agent.destroy();
	const errors = results.filter((r) => "error" in r) as { error: string }[];
	if (errors.length > 0) {
		throw new BenchError(
			`webhook→completed: ${errors.length} of ${clients.length} failed, e.g. ${errors[0]?.error}\n` +
				`--- last lines of ${server.logFile}:\n${logTail(server.logFile)}`,
		);
	}
	const ok = results as { ms: number; polls: number; webhookMs: number }[];
	const ms = ok.map((r) => r.ms).sort((a, b) => a - b);
	return {
		clients: clients.length,
		ratePerSec: LATENCY_RATE,
		pollIntervalMs: 10,
		p50Ms: percentile(ms, 50),
		p95Ms: percentile(ms, 95),
		maxMs: ms[ms.length - 1] as number,
		webhookResponseP50Ms: percentile(
			ok.map((r) => r.webhookMs).sort((a, b) => a - b),
			50,
		),
		pollsPerClientMedian: median(ok.map((r) => r.polls)),
	};
}

export interface WorkloadFigures {
	requests: number;
	concurrency: number;
	reqPerSec: number;
	p50Ms: number;
	p99Ms: number;
	workerdCpuMsPerRequest: number;
	wranglerCpuMsPerRequest: number;
	elapsedMs: number;
}

export function figures(result: LoadResult, before: CpuSample, after: CpuSample, concurrency: number): WorkloadFigures {
	const n = result.ok + result.failed;
	// A restarted workerd starts its counters at zero: the difference means nothing.
	const sameProcesses = before.workerdPids.join() === after.workerdPids.join();
	if (!sameProcesses) {
		progress(`warning: workerd processes changed during the workload (${before.workerdPids} -> ${after.workerdPids})`);
	}
	return {
		requests: n,
		concurrency,
		reqPerSec: result.reqPerSec,
		p50Ms: result.p50,
		p99Ms: result.p99,
		workerdCpuMsPerRequest: sameProcesses ? (after.workerdMs - before.workerdMs) / n : Number.NaN,
		wranglerCpuMsPerRequest: (after.wranglerMs - before.wranglerMs) / n,
		elapsedMs: result.elapsedMs,
	};
}
