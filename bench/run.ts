// `npm run bench`: bundle size, cold-start CPU and local throughput/latency/CPU
// of the real Worker against an empty one, all on loopback under `wrangler dev`.
// Four dev instances: "real" (the worker as configured), "paused" (the same
// worker with provisioning held back by a queue delivery delay, so the
// webhook's CPU is measured alone), "floor" (the empty worker with the
// product's static assets, the baseline the targets use) and "empty" (the
// empty worker with no assets). Never part of `npm test`.
// Tunables (env): BENCH_N, BENCH_CONCURRENCY, BENCH_POLLS, BENCH_LATENCY_CLIENTS,
// BENCH_LATENCY_RATE, BENCH_STARTUP_RUNS, BENCH_TIMEOUT_S, and
// BENCH_LOCAL_OBSERVABILITY=1 to keep wrangler dev's local trace collector on.
// Results: a Markdown table and the targets on stdout, JSON in
// bench-results/latest.json, worker logs in bench-results/*.log.

import { execFileSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import {
	cpSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	symlinkSync,
	writeFileSync,
} from "node:fs";
import http from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { httpRequest, type LoadRequest, type LoadResult, percentile, runLoad } from "./load.ts";
import {
	CLK_TCK,
	type CpuSample,
	freePort,
	killAllNow,
	runWrangler,
	sampleCpu,
	sleep,
	startWrangler,
	stopAll,
} from "./procs.ts";
import { type StripeStub, startStripeStub } from "./stripe-stub.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const EMPTY_SRC = join(ROOT, "bench", "empty-worker");
const RESULTS_DIR = join(ROOT, "bench-results");
const WEBHOOK_SECRET = "whsec_bench_secret";
const STRIPE_API_VERSION = "2026-10-28.endive";

function intEnv(name: string, fallback: number, min: number, max: number): number {
	const raw = process.env[name];
	const n = raw === undefined || raw === "" ? fallback : Number(raw);
	if (!Number.isFinite(n)) throw new Error(`${name}=${raw} is not a number`);
	return Math.min(max, Math.max(min, Math.floor(n)));
}

const N = intEnv("BENCH_N", 300, 1, 2000);
const CONCURRENCY = intEnv("BENCH_CONCURRENCY", 8, 1, 64);
/** Requests sent to each measured route before its CPU is sampled (JIT, D1 pages warm). */
const WARM_UP = 30;
const POLLS = intEnv("BENCH_POLLS", 1000, 1, 2000);
const LATENCY_CLIENTS = intEnv("BENCH_LATENCY_CLIENTS", 50, 1, 200);
const LATENCY_RATE = intEnv("BENCH_LATENCY_RATE", 10, 1, 100);
const STARTUP_RUNS = intEnv("BENCH_STARTUP_RUNS", 7, 1, 15);
const TIMEOUT_S = intEnv("BENCH_TIMEOUT_S", 240, 30, 1800);
// The worker allows 180 status polls a minute per client address (STATUS_LIMITER);
// workload B spreads its polls over the N clients and stays well below that.
const MAX_POLLS_PER_CLIENT = 50;
if (POLLS > MAX_POLLS_PER_CLIENT * N) {
	throw new Error(
		`BENCH_POLLS=${POLLS} is more than ${MAX_POLLS_PER_CLIENT} polls per client for BENCH_N=${N}: ` +
			"raise BENCH_N or lower BENCH_POLLS (the worker rate-limits status polls per client address)",
	);
}

const t0 = performance.now();
function progress(message: string) {
	process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${message}\n`);
}

class BenchError extends Error {
	name = "BenchError";
}

// ---------------------------------------------------------------- snapshot

/**
 * Copies the Worker's sources and config to dir (node_modules linked), so the
 * bench builds, profiles and serves one fixed version: edits made to the work
 * tree during the run neither reload `wrangler dev` mid-workload nor mix versions.
 */
function snapshotWorker(dir: string): void {
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

/** The producer block's queue line in a worker snapshot; the paused copy adds a delivery delay after it. */
const PROVISIONING_PRODUCER =
	/^(\[\[queues\.producers\]\][ \t]*\r?\n(?:[^[\r\n][^\r\n]*\r?\n)*?)(queue = "provisioning"[ \t]*\r?\n)/gm;
/** Longer than any bench run (BENCH_TIMEOUT_S is at most 1800 s). */
const PAUSED_DELIVERY_DELAY_S = 3600;

/**
 * Pauses provisioning in a snapshot's wrangler.toml: the provisioning producer
 * gets `delivery_delay = 3600`, so the local queue accepts every webhook's
 * message and holds it for an hour. The consumer stays attached, as in
 * production: a queue with no consumer at all costs each send a lookup in the
 * dev registry and a debug log line (about 0.7 ms of workerd CPU), which is
 * not the webhook's cost. Throws unless exactly that one block was changed.
 */
function pauseProvisioning(dir: string): void {
	const file = join(dir, "wrangler.toml");
	const text = readFileSync(file, "utf8");
	const found = text.match(PROVISIONING_PRODUCER)?.length ?? 0;
	if (found !== 1 || /^delivery_delay\b/m.test(text)) {
		throw new BenchError(
			`${file}: expected exactly one \`queue = "provisioning"\` line in a \`[[queues.producers]]\` block ` +
				`and no delivery_delay, found ${found}; cannot pause provisioning for the paused instance`,
		);
	}
	writeFileSync(file, text.replace(PROVISIONING_PRODUCER, `$1$2delivery_delay = ${PAUSED_DELIVERY_DELAY_S}\n`));
	const patched = readFileSync(file, "utf8");
	if (patched.split(/\r?\n/).filter((l) => l.trim() === `delivery_delay = ${PAUSED_DELIVERY_DELAY_S}`).length !== 1) {
		throw new BenchError(`${file}: adding delivery_delay to the provisioning producer did not take`);
	}
}

function gitDescribe(): { commit: string | null; dirtyFiles: number | null } {
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

// ---------------------------------------------------------------- builds

interface BundleSize {
	files: string[];
	rawBytes: number;
	gzipBytes: number;
}

async function buildBundle(label: string, cwd: string, outdir: string): Promise<BundleSize> {
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

// ---------------------------------------------------------------- cold start

interface StartupRun {
	/** CPU ms on non-idle samples, computed from the .cpuprofile. */
	activeMs: number;
	/** endTime - startTime of the profile. */
	windowMs: number;
	samples: number;
	/** wrangler's own "Active: x ms" line, when printed. */
	printedActiveMs: number | null;
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

function median(values: number[]): number {
	const s = [...values].sort((a, b) => a - b);
	if (s.length === 0) return Number.NaN;
	const mid = Math.floor(s.length / 2);
	return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

// ---------------------------------------------------------------- dev servers

interface DevServer {
	label: string;
	readyPath: string;
	origin: string;
	pid: number;
	logFile: string;
}

function logTail(file: string, lines = 40): string {
	try {
		return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
	} catch {
		return "(no log)";
	}
}

async function startDev(
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

// ---------------------------------------------------------------- workloads

/**
 * Each simulated customer comes from its own address, as real ones do: the
 * worker rate-limits checkout and status polls per CF-Connecting-IP, which
 * miniflare passes through when the client sets it. Only a header value
 * (2001:db8::/32, the documentation prefix); all traffic stays on loopback.
 */
function clientIp(index: number): string {
	return `2001:db8::${(index + 1).toString(16)}`;
}

/** A status poll as the customer's own browser sends it. */
function statusPoll(client: ClientInfo) {
	return { method: "GET" as const, path: client.statusPath, headers: { "cf-connecting-ip": client.ip } };
}

interface ClientInfo {
	ip: string;
	clientId: string;
	crn: string;
	statusPath: string;
	sessionId: string;
	index: number;
}

let clientSeq = 0;
const runTag = randomBytes(3).toString("hex");

async function createClients(server: DevServer, count: number): Promise<ClientInfo[]> {
	const first = clientSeq;
	clientSeq += count;
	const result = await runLoad({
		origin: server.origin,
		count,
		concurrency: CONCURRENCY,
		keepBodies: true,
		deadlineMs: 90_000,
		request: (i) => ({
			method: "POST",
			path: "/api/checkout",
			headers: { "content-type": "application/json", "cf-connecting-ip": clientIp(first + i) },
			body: JSON.stringify({
				email: `bench+${runTag}-${first + i}@example.com`,
				name: `Bench ${first + i}`,
				plan_code: "starter",
			}),
		}),
	});
	failOn("POST /api/checkout", result, server);
	return (result.bodies as string[]).map((body, i) => {
		const j = JSON.parse(body) as { client_id: string; crn: string; status_url: string; checkout_url: string };
		const status = new URL(j.status_url);
		return {
			clientId: j.client_id,
			crn: j.crn,
			ip: clientIp(first + i),
			statusPath: status.pathname + status.search,
			sessionId: j.checkout_url.split("/").pop() as string,
			index: first + i,
		};
	});
}

function failOn(what: string, result: LoadResult, server: DevServer) {
	if (result.failed === 0 && !result.timedOut) return;
	const shown = result.failures.map((f) => `  #${f.i}: HTTP ${f.status} ${f.body}`).join("\n");
	throw new BenchError(
		`${what}: ${result.failed} of ${result.sent} failed${result.timedOut ? " (phase deadline hit)" : ""}\n${shown}\n` +
			`--- last lines of ${server.logFile}:\n${logTail(server.logFile)}`,
	);
}

/** A checkout.session.completed event for the client, signed like Stripe signs it. */
function signedWebhook(client: ClientInfo) {
	const now = Math.floor(Date.now() / 1000);
	const event = {
		id: `evt_bench_${runTag}_${client.index}_${randomBytes(6).toString("hex")}`,
		object: "event",
		api_version: STRIPE_API_VERSION,
		created: now,
		livemode: false,
		pending_webhooks: 1,
		request: { id: null, idempotency_key: null },
		type: "checkout.session.completed",
		data: {
			object: {
				id: client.sessionId,
				object: "checkout.session",
				client_reference_id: client.clientId,
				metadata: { client_id: client.clientId, plan_code: "starter", customer_reference: client.crn },
				mode: "subscription",
				payment_status: "paid",
				status: "complete",
				customer: `cus_x${client.index}`,
				subscription: `sub_x${client.index}`,
				livemode: false,
				created: now,
			},
		},
	};
	const body = JSON.stringify(event, null, 2);
	const v1 = createHmac("sha256", WEBHOOK_SECRET).update(`${now}.${body}`).digest("hex");
	return {
		method: "POST" as const,
		path: "/api/webhook/stripe",
		headers: { "content-type": "application/json", "stripe-signature": `t=${now},v1=${v1}` },
		body,
	};
}

function countInLog(file: string, needle: string): number {
	try {
		return readFileSync(file, "utf8").split(needle).length - 1;
	} catch {
		return 0;
	}
}

/** Polls each client's status (bounded) until every one reports provisioning completed. */
/** One signed webhook per client at the fixed concurrency, with workerd CPU sampled around it. */
async function postWebhooks(server: DevServer, clients: ClientInfo[], what: string) {
	const requests = clients.map(signedWebhook);
	const before = sampleCpu(server.pid);
	const result = await runLoad({
		origin: server.origin,
		count: requests.length,
		concurrency: CONCURRENCY,
		keepBodies: true,
		deadlineMs: 90_000,
		request: (i) => requests[i] as ReturnType<typeof signedWebhook>,
	});
	const after = sampleCpu(server.pid);
	failOn(what, result, server);
	const notFresh = (result.bodies as string[]).filter((b) => !b.includes('"duplicate":false'));
	if (notFresh.length > 0) throw new BenchError(`webhook answered without duplicate:false, e.g. ${notFresh[0]}`);
	return { result, before, after };
}

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

/** Waits for the log to show `count` more occurrences of `needle` than `before`. */
async function waitForLog(file: string, needle: string, target: number, timeoutMs: number): Promise<boolean> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (countInLog(file, needle) >= target) return true;
		await sleep(100);
	}
	return false;
}

const RELOADING = "Reloading local server";
const RELOADED = "Local server updated and ready";
let reloadRetries = 0;

/**
 * Runs one measured phase; if `wrangler dev` reloaded the worker meanwhile (a
 * file its bundler watches changed, e.g. the repo's package.json or something
 * in node_modules), the new workerd's counters and cold isolate make the phase
 * meaningless: wait for the reload to finish and run the whole phase again.
 */
async function withReloadRetry<T>(label: string, server: DevServer, attempt: () => Promise<T>): Promise<T> {
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

interface WorkloadFigures {
	requests: number;
	concurrency: number;
	reqPerSec: number;
	p50Ms: number;
	p99Ms: number;
	workerdCpuMsPerRequest: number;
	wranglerCpuMsPerRequest: number;
	elapsedMs: number;
}

function figures(result: LoadResult, before: CpuSample, after: CpuSample, concurrency: number): WorkloadFigures {
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

/** The floor's request: an API path, so it passes the asset router and runs the worker. */
const FLOOR_PATH = "/api/empty";

/**
 * POLLS GET requests at CONCURRENCY after WARM_UP unmeasured ones (JIT, D1
 * pages), with the workerd CPU sampled around the measured part.
 */
async function measureGets(server: DevServer, what: string, request: (i: number) => LoadRequest) {
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

async function webhookToCompleted(server: DevServer, clients: ClientInfo[]) {
	const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
	const intervalMs = 1000 / LATENCY_RATE;
	const perClientTimeoutMs = 30_000;
	// Bounded like the other phases: at most 2000 requests in all.
	let budget = 2000 - clients.length;
	const start = performance.now();
	const tasks = clients.map(async (client, i) => {
		const at = start + i * intervalMs;
		await sleep(Math.max(0, at - performance.now()));
		const req = signedWebhook(client);
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

// ---------------------------------------------------------------- report

function fmt(n: number, digits = 1): string {
	return Number.isFinite(n) ? n.toFixed(digits) : "n/a";
}
function kib(bytes: number): string {
	return `${(bytes / 1024).toFixed(2)} KiB (${bytes} B)`;
}

interface StartupSummary {
	medianActiveMs: number;
	minActiveMs: number;
	maxActiveMs: number;
	medianWindowMs: number;
}

interface Results {
	bundle: { worker: BundleSize; empty: BundleSize };
	coldStart: { runs: number; worker: StartupSummary; empty: StartupSummary };
	workloads: {
		webhookAlone: WorkloadFigures;
		webhookWithConcurrentProvisioning: WorkloadFigures;
		webhookWithProvisioning: { workerdCpuMsPerClient: number };
		statusPoll: WorkloadFigures;
		/** The floor: the empty worker with the product's static assets, GET /api/empty. */
		emptyWorker: WorkloadFigures;
		/** The empty worker with no assets at all, GET /. */
		emptyWorkerBare: WorkloadFigures;
	};
	webhookToCompleted: { clients: number; ratePerSec: number; p50Ms: number; p95Ms: number };
}

function table(r: Results): string {
	const rows: [string, string][] = [];
	const w = (name: string, f: WorkloadFigures, cpuNote = "") => {
		rows.push([`${name}: req/s (${f.requests} req, concurrency ${f.concurrency})`, fmt(f.reqPerSec)]);
		rows.push([`${name}: latency p50 (ms)`, fmt(f.p50Ms, 2)]);
		rows.push([`${name}: latency p99 (ms)`, fmt(f.p99Ms, 2)]);
		rows.push([`${name}: workerd CPU ms/request${cpuNote}`, fmt(f.workerdCpuMsPerRequest, 2)]);
	};
	// The paused instance holds its queue messages back: this is the webhook's own cost.
	w("A webhook alone (POST /api/webhook/stripe, provisioning held back)", r.workloads.webhookAlone);
	// The queue consumer provisions while the webhooks arrive: this CPU includes part of it.
	w(
		"A webhook with concurrent provisioning",
		r.workloads.webhookWithConcurrentProvisioning,
		" (incl. concurrent queue consumer)",
	);
	rows.push([
		"A webhook with concurrent provisioning + its provisioning: workerd CPU ms/client (until all completed)",
		fmt(r.workloads.webhookWithProvisioning.workerdCpuMsPerClient, 2),
	]);
	w("B status poll (GET /api/portal/setup-status)", r.workloads.statusPoll);
	w("C empty worker with the product's static assets (GET /api/empty): the floor", r.workloads.emptyWorker);
	w("C' empty worker without static assets (GET /)", r.workloads.emptyWorkerBare);
	const l = r.webhookToCompleted;
	rows.push([`Webhook → completed p50 (ms; ${l.clients} clients at ${l.ratePerSec}/s, 10 ms polls)`, fmt(l.p50Ms)]);
	rows.push(["Webhook → completed p95 (ms)", fmt(l.p95Ms)]);
	rows.push(["Bundle, worker: raw", kib(r.bundle.worker.rawBytes)]);
	rows.push(["Bundle, worker: gzip -9", kib(r.bundle.worker.gzipBytes)]);
	rows.push(["Bundle, empty worker: raw", kib(r.bundle.empty.rawBytes)]);
	rows.push(["Bundle, empty worker: gzip -9", kib(r.bundle.empty.gzipBytes)]);
	const s = r.coldStart;
	const range = (x: StartupSummary) => `${fmt(x.medianActiveMs)} (${fmt(x.minActiveMs)}–${fmt(x.maxActiveMs)})`;
	rows.push([
		`Cold-start CPU, worker (active ms in the .cpuprofile; median (min–max) of ${s.runs} \`wrangler check startup\`)`,
		range(s.worker),
	]);
	rows.push(["Cold-start CPU, empty worker (same)", range(s.empty)]);
	rows.push(["Cold-start profile window, worker (ms, median)", fmt(s.worker.medianWindowMs)]);
	rows.push(["Cold-start profile window, empty worker (ms, median)", fmt(s.empty.medianWindowMs)]);
	const width = Math.max(...rows.map(([k]) => k.length), "Figure".length);
	const vwidth = Math.max(...rows.map(([, v]) => v.length), "Value".length);
	const line = (a: string, b: string) => `| ${a.padEnd(width)} | ${b.padStart(vwidth)} |`;
	return [
		line("Figure", "Value"),
		`| ${"-".repeat(width)} | ${"-".repeat(vwidth - 1)}: |`,
		...rows.map(([k, v]) => line(k, v)),
	].join("\n");
}

// ---------------------------------------------------------------- targets

interface TargetCheck {
	name: string;
	unit: string;
	measured: number;
	comparison: "<=" | "<";
	limit: number;
	/** How the limit is derived, e.g. "empty worker 0.42 + 5.5". */
	limitFrom: string;
	pass: boolean;
}

interface Targets {
	allPass: boolean;
	checks: TargetCheck[];
	/** Real worker minus empty worker, same measurement. */
	differences: {
		webhookAloneMinusEmptyCpuMsPerRequest: number;
		statusPollMinusEmptyCpuMsPerRequest: number;
		/** The same against the empty worker without static assets: includes the asset router's hop. */
		webhookAloneMinusBareEmptyCpuMsPerRequest: number;
		statusPollMinusBareEmptyCpuMsPerRequest: number;
		assetRoutingCpuMsPerRequest: number;
		coldStartWorkerMinusEmptyMedianMs: number;
	};
}

const KIB = 1024;

function evaluateTargets(r: Pick<Results, "bundle" | "coldStart" | "workloads" | "webhookToCompleted">): Targets {
	const emptyCpu = r.workloads.emptyWorker.workerdCpuMsPerRequest;
	const bareCpu = r.workloads.emptyWorkerBare.workerdCpuMsPerRequest;
	const aloneCpu = r.workloads.webhookAlone.workerdCpuMsPerRequest;
	const statusCpu = r.workloads.statusPoll.workerdCpuMsPerRequest;
	const coldWorker = r.coldStart.worker.medianActiveMs;
	const coldEmpty = r.coldStart.empty.medianActiveMs;
	const check = (
		name: string,
		unit: string,
		measured: number,
		comparison: "<=" | "<",
		limit: number,
		limitFrom: string,
	): TargetCheck => ({
		name,
		unit,
		measured,
		comparison,
		limit,
		limitFrom,
		// NaN (e.g. workerd restarted mid-workload) never passes.
		pass:
			Number.isFinite(measured) &&
			Number.isFinite(limit) &&
			(comparison === "<=" ? measured <= limit : measured < limit),
	});
	const checks = [
		check(
			"Webhook alone: workerd CPU ms/request",
			"ms",
			aloneCpu,
			"<=",
			emptyCpu + 5.5,
			`floor ${fmt(emptyCpu, 2)} + 5.5`,
		),
		check(
			"Status poll: workerd CPU ms/request",
			"ms",
			statusCpu,
			"<=",
			emptyCpu + 1.0,
			`floor ${fmt(emptyCpu, 2)} + 1.0`,
		),
		check("Webhook → completed p50", "ms", r.webhookToCompleted.p50Ms, "<=", 100, "fixed"),
		check("Webhook → completed p95", "ms", r.webhookToCompleted.p95Ms, "<=", 250, "fixed"),
		check(
			"Cold-start CPU, median",
			"ms",
			coldWorker,
			"<=",
			coldEmpty + 25,
			`empty worker median ${fmt(coldEmpty, 1)} + 25`,
		),
		check("Bundle, gzip -9", "KiB", r.bundle.worker.gzipBytes / KIB, "<=", 60, "fixed"),
		check("Webhook alone: workerd CPU ms/request (Workers Free plan)", "ms", aloneCpu, "<", 10, "fixed"),
	];
	return {
		allPass: checks.every((c) => c.pass),
		checks,
		differences: {
			webhookAloneMinusEmptyCpuMsPerRequest: aloneCpu - emptyCpu,
			statusPollMinusEmptyCpuMsPerRequest: statusCpu - emptyCpu,
			webhookAloneMinusBareEmptyCpuMsPerRequest: aloneCpu - bareCpu,
			statusPollMinusBareEmptyCpuMsPerRequest: statusCpu - bareCpu,
			assetRoutingCpuMsPerRequest: emptyCpu - bareCpu,
			coldStartWorkerMinusEmptyMedianMs: coldWorker - coldEmpty,
		},
	};
}

function targetsReport(t: Targets): string {
	const rows = t.checks.map((c) => [
		c.name,
		`${fmt(c.measured, 2)} ${c.unit}`,
		`${c.comparison === "<=" ? "≤" : "<"} ${fmt(c.limit, 2)} ${c.unit}${c.limitFrom === "fixed" ? "" : ` (${c.limitFrom})`}`,
		c.pass ? "PASS" : "FAIL",
	]);
	const head = ["Target", "Measured", "Limit", "Result"];
	const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
	const line = (cells: string[]) =>
		`| ${cells.map((c, i) => (i === 1 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join(" | ")} |`;
	const failed = t.checks.filter((c) => !c.pass).map((c) => c.name);
	const d = t.differences;
	const signed = (n: number, digitsAfter: number) => (n >= 0 ? `+${fmt(n, digitsAfter)}` : fmt(n, digitsAfter));
	return [
		"Targets",
		"",
		line(head),
		`| ${widths.map((w, i) => (i === 1 ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`,
		...rows.map(line),
		"",
		`${t.checks.length - failed.length} of ${t.checks.length} targets met${failed.length > 0 ? `; not met: ${failed.join("; ")}` : ""}.`,
		"",
		"Differences (worker − empty worker with the product's static assets, the floor):",
		`- webhook alone − empty: ${signed(d.webhookAloneMinusEmptyCpuMsPerRequest, 2)} ms CPU/request`,
		`- status poll − empty: ${signed(d.statusPollMinusEmptyCpuMsPerRequest, 2)} ms CPU/request`,
		`- the same against the empty worker without assets: webhook ${signed(d.webhookAloneMinusBareEmptyCpuMsPerRequest, 2)} ms, ` +
			`status poll ${signed(d.statusPollMinusBareEmptyCpuMsPerRequest, 2)} ms ` +
			`(the asset router's hop: ${signed(d.assetRoutingCpuMsPerRequest, 2)} ms)`,
		`- cold start worker − empty (median): ${signed(d.coldStartWorkerMinusEmptyMedianMs, 1)} ms`,
	].join("\n");
}

// ---------------------------------------------------------------- main

async function main() {
	mkdirSync(RESULTS_DIR, { recursive: true });
	const tmp = mkdtempSync(join(tmpdir(), "bench-"));
	const loadBefore = loadavg()[0] as number;
	let stub: StripeStub | undefined;
	try {
		progress(`N=${N} concurrency=${CONCURRENCY} polls=${POLLS} latency=${LATENCY_CLIENTS}@${LATENCY_RATE}/s`);

		const WORKER_DIR = join(tmp, "worker");
		snapshotWorker(WORKER_DIR);
		// A second snapshot of the same sources, whose queue holds provisioning messages back.
		const PAUSED_DIR = join(tmp, "worker-paused");
		snapshotWorker(PAUSED_DIR);
		pauseProvisioning(PAUSED_DIR);
		// The empty worker is copied too, so wrangler's .wrangler/ lands in tmp, not in bench/.
		const EMPTY_DIR = join(tmp, "empty-worker");
		cpSync(EMPTY_SRC, EMPTY_DIR, { recursive: true, filter: (f) => !f.includes(".wrangler") });
		symlinkSync(join(ROOT, "node_modules"), join(EMPTY_DIR, "node_modules"), "dir");
		// The floor: the same empty worker with the product's pages and asset routing.
		const FLOOR_DIR = join(tmp, "empty-worker-assets");
		cpSync(EMPTY_SRC, FLOOR_DIR, { recursive: true, filter: (f) => !f.includes(".wrangler") });
		cpSync(join(EMPTY_SRC, "wrangler-assets.toml"), join(FLOOR_DIR, "wrangler.toml"));
		cpSync(join(ROOT, "public"), join(FLOOR_DIR, "public"), { recursive: true });
		symlinkSync(join(ROOT, "node_modules"), join(FLOOR_DIR, "node_modules"), "dir");
		const source = gitDescribe();
		progress(`snapshot of the worker in ${WORKER_DIR}; building both workers (wrangler deploy --dry-run)`);
		const worker = await buildBundle("worker", WORKER_DIR, join(tmp, "out-worker"));
		const empty = await buildBundle("empty worker", EMPTY_DIR, join(tmp, "out-empty"));

		progress(`cold-start CPU: ${STARTUP_RUNS}× wrangler check startup per worker`);
		const startup: { worker: StartupRun[]; empty: StartupRun[] } = { worker: [], empty: [] };
		for (let i = 0; i < STARTUP_RUNS; i++) {
			startup.worker.push(await startupProfile("worker", WORKER_DIR, join(tmp, `startup-worker-${i}.cpuprofile`)));
			startup.empty.push(await startupProfile("empty worker", EMPTY_DIR, join(tmp, `startup-empty-${i}.cpuprofile`)));
		}
		const summarise = (runs: StartupRun[]) => ({
			medianActiveMs: median(runs.map((x) => x.activeMs)),
			minActiveMs: Math.min(...runs.map((x) => x.activeMs)),
			maxActiveMs: Math.max(...runs.map((x) => x.activeMs)),
			medianWindowMs: median(runs.map((x) => x.windowMs)),
			runs,
		});

		progress("applying D1 migrations to fresh persist dirs (real and paused)");
		const persist = join(tmp, "state");
		const persistPaused = join(tmp, "state-paused");
		const migrate = async (label: string, cwd: string, persistTo: string) => {
			const mig = await runWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo], {
				cwd,
				timeoutMs: 90_000,
			});
			if (mig.code !== 0) {
				throw new BenchError(`${label}: d1 migrations apply exited ${mig.code}\n${mig.stdout}\n${mig.stderr}`);
			}
		};
		await Promise.all([migrate("real", WORKER_DIR, persist), migrate("paused", PAUSED_DIR, persistPaused)]);

		const stubPort = await freePort();
		stub = await startStripeStub(stubPort);
		progress(`Stripe stand-in on ${stub.url}; starting wrangler dev for the real, paused and two empty workers`);
		const [realPort, pausedPort, floorPort, emptyPort] = [
			await freePort(),
			await freePort(),
			await freePort(),
			await freePort(),
		];
		const workerVars = [
			"--var",
			"DEV_TOOLS:0",
			"--var",
			`STRIPE_WEBHOOK_SECRET_TEST:${WEBHOOK_SECRET}`,
			"--var",
			"STRIPE_SECRET_KEY:sk_test_bench",
			"--var",
			`STRIPE_API_BASE:${stub.url}`,
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
		/** The paused instance must never provision: its queue holds every message for an hour. */
		const assertPausedIdle = (when: string) => {
			const completed = countInLog(paused.logFile, "PROVISIONING_COMPLETED");
			if (completed > 0) {
				throw new BenchError(
					`paused worker logged PROVISIONING_COMPLETED ${completed}× ${when}: its queue did not hold the messages back\n` +
						`--- last lines of ${paused.logFile}:\n${logTail(paused.logFile)}`,
				);
			}
		};

		// Workload A alone: the webhook on the paused instance, no provisioning running.
		const workloadAAlone = await withReloadRetry("workload A alone", paused, async () => {
			progress(`workload A alone: creating ${N + WARM_UP} clients on the paused worker through POST /api/checkout`);
			const fresh = await createClients(paused, N + WARM_UP);
			// Warm the route (JIT, D1 pages) on clients outside the measured set, as the empty worker is warmed.
			const warm = await runLoad({
				origin: paused.origin,
				count: WARM_UP,
				concurrency: CONCURRENCY,
				request: (i) => signedWebhook(fresh[N + i] as ClientInfo),
			});
			failOn("webhook warm-up (paused worker)", warm, paused);
			progress(`workload A alone: ${N} webhooks at concurrency ${CONCURRENCY}, provisioning held back`);
			return postWebhooks(paused, fresh.slice(0, N), "POST /api/webhook/stripe (paused worker)");
		});
		assertPausedIdle("during workload A alone");

		// Workload A with concurrent provisioning: one signed checkout.session.completed
		// per real client, while the real instance's queue consumer provisions.
		const workloadA = await withReloadRetry("workload A", real, async () => {
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
		});
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
		const latency = await withReloadRetry("webhook → completed", real, async () => {
			progress(`webhook → completed: ${LATENCY_CLIENTS} fresh clients at ${LATENCY_RATE}/s`);
			const fresh = await createClients(real, LATENCY_CLIENTS);
			return webhookToCompleted(real, fresh);
		});

		assertPausedIdle("by the end of the run");
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
		const coldStart = { runs: STARTUP_RUNS, worker: summarise(startup.worker), empty: summarise(startup.empty) };
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
				localObservability: process.env.BENCH_LOCAL_OBSERVABILITY === "1",
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
			reloadRetries,
			stripeStandIn: Object.fromEntries(stub.seen),
		};
		writeFileSync(join(RESULTS_DIR, "latest.json"), `${JSON.stringify(results, null, 2)}\n`);
		progress(`done; JSON in ${join(RESULTS_DIR, "latest.json")}`);
		const collector = results.config.localObservability
			? "on (BENCH_LOCAL_OBSERVABILITY=1)"
			: "off (BENCH_LOCAL_OBSERVABILITY=1 turns it on)";
		process.stdout.write(
			`wrangler dev's local trace collector: ${collector}\n\n${table(results)}\n\n${targetsReport(targets)}\n`,
		);
		const busiest = Math.max(results.machine.loadavg1mBefore, results.machine.loadavg1mAfter);
		if (busiest > results.machine.cpus) {
			process.stdout.write(
				`\nNote: 1-min load average ${busiest.toFixed(1)} on ${results.machine.cpus} CPUs: other work competed; ` +
					"req/s and latency are pessimistic, CPU ms/request is less affected.\n",
			);
		}
	} finally {
		progress("stopping wrangler dev and the stand-in");
		await stopAll();
		await stub?.close();
		rmSync(tmp, { recursive: true, force: true });
	}
}

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
	progress(`overall deadline of ${TIMEOUT_S} s passed: stopping`);
	void stopAll(2000).finally(() => process.exit(2));
}, TIMEOUT_S * 1000);

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
