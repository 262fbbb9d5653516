// `npm run bench`: bundle size, cold-start CPU and local throughput/latency/CPU
// of the real Worker against an empty one, all on loopback under `wrangler dev`.
// This file only orchestrates the phases; never part of `npm test`.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { reloadRetryCount, startDev, withReloadRetry } from "../common/dev-servers.ts";
import {
	applyMigrations,
	buildBundle,
	copyEmptyWorker,
	gitDescribe,
	PAUSED_DELIVERY_DELAY_S,
	pauseProvisioning,
	snapshotWorker,
} from "../common/instances.ts";
import {
	CONCURRENCY,
	LATENCY_CLIENTS,
	LATENCY_RATE,
	LOCAL_OBSERVABILITY,
	N,
	POLLS,
	progress,
	RESULTS_DIR,
	STARTUP_RUNS,
	TIMEOUT_S,
	WEBHOOK_SECRET,
} from "../common/knobs.ts";
import { CLK_TCK, freePort, runBench, stopAll } from "../common/procs.ts";
import { callsByRoute, type StandIns, startStandIns } from "../common/stand-ins.ts";
import { type ClientInfo, statusPoll } from "./clients.ts";
import { evaluateTargets, report } from "./report.ts";
import { measureColdStart } from "./startup.ts";
import {
	assertPausedIdle,
	FLOOR_PATH,
	figures,
	measureGets,
	webhookAlone,
	webhooksWithProvisioning,
	webhookToCompleted,
} from "./workloads.ts";

/**
 * Four dev instances: "real" (the worker as configured), "paused" (the same
 * worker with provisioning held back by a queue delivery delay, so the
 * webhook's CPU is measured alone), "floor" (the empty worker with the
 * product's static assets, the baseline the targets use) and "empty" (the
 * empty worker with no assets). Results: a Markdown table and the targets on
 * stdout, JSON in bench-results/latest.json, worker logs in bench-results/*.log.
 */
const STRIPE_KEY = "sk_test_bench";

async function main() {
	mkdirSync(RESULTS_DIR, { recursive: true });
	const tmp = mkdtempSync(join(tmpdir(), "bench-"));
	const loadBefore = loadavg()[0] as number;
	let standIns: StandIns | undefined;
	try {
		progress(`N=${N} concurrency=${CONCURRENCY} polls=${POLLS} latency=${LATENCY_CLIENTS}@${LATENCY_RATE}/s`);

		const WORKER_DIR = join(tmp, "worker");
		snapshotWorker(WORKER_DIR);
		// A second snapshot of the same sources, whose queue holds provisioning messages back.
		const PAUSED_DIR = join(tmp, "worker-paused");
		snapshotWorker(PAUSED_DIR);
		pauseProvisioning(PAUSED_DIR);
		const EMPTY_DIR = join(tmp, "empty-worker");
		copyEmptyWorker(EMPTY_DIR, { withAssets: false });
		// The floor: the same empty worker with the product's pages and asset routing.
		const FLOOR_DIR = join(tmp, "empty-worker-assets");
		copyEmptyWorker(FLOOR_DIR, { withAssets: true });
		const source = gitDescribe();
		progress(`snapshot of the worker in ${WORKER_DIR}; building both workers (wrangler deploy --dry-run)`);
		const worker = await buildBundle("worker", WORKER_DIR, join(tmp, "out-worker"));
		const empty = await buildBundle("empty worker", EMPTY_DIR, join(tmp, "out-empty"));

		const coldStart = await measureColdStart(WORKER_DIR, EMPTY_DIR, tmp);

		progress("applying D1 migrations to fresh persist dirs (real and paused)");
		const persist = join(tmp, "state");
		const persistPaused = join(tmp, "state-paused");
		await Promise.all([
			applyMigrations("real", WORKER_DIR, persist),
			applyMigrations("paused", PAUSED_DIR, persistPaused),
		]);

		standIns = await startStandIns();
		// This bench measures the worker, not Stripe's rate limit (bench:launch keeps Stripe's 25/s).
		await standIns.limit(STRIPE_KEY, 100_000, "re_bench_unused", 1);
		progress(`Stripe stand-in on ${standIns.url}; starting wrangler dev for the real, paused and two empty workers`);
		const [realPort, pausedPort, floorPort, emptyPort] = [
			await freePort(),
			await freePort(),
			await freePort(),
			await freePort(),
		];
		const workerVars = [
			"--env",
			"local",
			"--var",
			"DEV_TOOLS:0",
			"--var",
			`STRIPE_WEBHOOK_SECRET_TEST:${WEBHOOK_SECRET}`,
			"--var",
			`STRIPE_SECRET_KEY:${STRIPE_KEY}`,
			"--var",
			`STRIPE_API_BASE:${standIns.stripeBase}`,
		];
		const [real, paused, floorDev, emptyDev] = await Promise.all([
			startDev("real", WORKER_DIR, realPort, [...workerVars, "--persist-to", persist], "/api/health"),
			startDev("paused", PAUSED_DIR, pausedPort, [...workerVars, "--persist-to", persistPaused], "/api/health"),
			startDev("floor", FLOOR_DIR, floorPort, ["--persist-to", join(tmp, "state-floor")], FLOOR_PATH),
			startDev("empty", EMPTY_DIR, emptyPort, ["--persist-to", join(tmp, "state-empty")], "/"),
		]);
		progress(
			`worker on ${real.origin} (pid ${real.pid}), paused worker on ${paused.origin} (pid ${paused.pid}), ` +
				`empty worker with assets on ${floorDev.origin} (pid ${floorDev.pid}), ` +
				`empty worker on ${emptyDev.origin} (pid ${emptyDev.pid})`,
		);

		// Workload A alone: the webhook on the paused instance, no provisioning running.
		const workloadAAlone = await withReloadRetry("workload A alone", paused, () => webhookAlone(paused));
		assertPausedIdle(paused, "during workload A alone");

		// Workload A with concurrent provisioning, on the real instance.
		const workloadA = await withReloadRetry("workload A", real, () => webhooksWithProvisioning(real));
		const { clients } = workloadA;

		// Workload B: status polls of settled clients.
		const workloadB = await withReloadRetry("workload B", real, () =>
			measureGets(real, "GET /api/portal/setup-status", (i) => statusPoll(clients[i % clients.length] as ClientInfo)),
		);

		// Workload C: the empty workers, same count and concurrency as B. The one
		// with the product's asset routing is the floor the targets use.
		const get = (path: string) => () => ({ method: "GET" as const, path });
		const workloadC = await withReloadRetry("workload C", floorDev, () =>
			measureGets(floorDev, `GET ${FLOOR_PATH}`, get(FLOOR_PATH)),
		);
		const workloadCBare = await withReloadRetry("workload C bare", emptyDev, () =>
			measureGets(emptyDev, "GET /", get("/")),
		);

		// Webhook → completed latency for fresh clients.
		const latency = await withReloadRetry("webhook → completed", real, () => webhookToCompleted(real));

		assertPausedIdle(paused, "by the end of the run");
		const workloads = {
			webhookAlone: {
				...figures(workloadAAlone.result, workloadAAlone.before, workloadAAlone.after, CONCURRENCY),
				provisioningDeliveryDelaySeconds: PAUSED_DELIVERY_DELAY_S,
			},
			webhookWithConcurrentProvisioning: figures(workloadA.result, workloadA.before, workloadA.after, CONCURRENCY),
			webhookWithProvisioning: {
				clients: N,
				workerdCpuMsPerClient: (workloadA.provisioned.workerdMs - workloadA.before.workerdMs) / N,
				allCompletedSeenInLog: workloadA.drained,
			},
			statusPoll: figures(workloadB.result, workloadB.before, workloadB.after, CONCURRENCY),
			emptyWorker: figures(workloadC.result, workloadC.before, workloadC.after, CONCURRENCY),
			emptyWorkerBare: figures(workloadCBare.result, workloadCBare.before, workloadCBare.after, CONCURRENCY),
		};
		const bundle = { worker, empty };
		const targets = evaluateTargets({ bundle, coldStart, workloads, webhookToCompleted: latency });
		const results = {
			when: new Date().toISOString(),
			config: {
				N,
				concurrency: CONCURRENCY,
				polls: POLLS,
				latencyClients: LATENCY_CLIENTS,
				latencyRate: LATENCY_RATE,
				startupRuns: STARTUP_RUNS,
				clkTck: CLK_TCK,
				node: process.version,
				localObservability: LOCAL_OBSERVABILITY,
			},
			machine: {
				cpus: cpus().length,
				loadavg1mBefore: loadBefore,
				loadavg1mAfter: loadavg()[0] as number,
			},
			source,
			bundle,
			coldStart,
			workloads,
			webhookToCompleted: latency,
			targets,
			reloadRetries: reloadRetryCount(),
			stripeStandIn: callsByRoute(standIns.exchanges),
		};
		writeFileSync(join(RESULTS_DIR, "latest.json"), `${JSON.stringify(results, null, 2)}\n`);
		progress(`done; JSON in ${join(RESULTS_DIR, "latest.json")}`);
		process.stdout.write(report(results));
	} finally {
		progress("stopping wrangler dev and the stand-in");
		await stopAll();
		await standIns?.close();
		rmSync(tmp, { recursive: true, force: true });
	}
}

runBench(main, TIMEOUT_S);
