// Env knobs, paths and constants of both benches, their progress line on
// stderr and BenchError, the error whose message alone explains a failed run.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const EMPTY_SRC = join(ROOT, "bench", "quick", "empty-worker");
/** JSON in bench-results/latest.json, worker logs in bench-results/*.log. */
export const RESULTS_DIR = join(ROOT, "bench-results");
export const WEBHOOK_SECRET = "whsec_bench_secret";

function intEnv(name: string, fallback: number, min: number, max: number): number {
	const raw = process.env[name];
	const n = raw === undefined || raw === "" ? fallback : Number(raw);
	if (!Number.isFinite(n)) throw new Error(`${name}=${raw} is not a number`);
	return Math.min(max, Math.max(min, Math.floor(n)));
}

// Tunables (env): BENCH_N, BENCH_CONCURRENCY, BENCH_POLLS, BENCH_LATENCY_CLIENTS,
// BENCH_LATENCY_RATE, BENCH_STARTUP_RUNS, BENCH_TIMEOUT_S, and
// BENCH_LOCAL_OBSERVABILITY=1 to keep wrangler dev's local trace collector on
// (applied to the wrangler processes in procs.ts).
export const N = intEnv("BENCH_N", 300, 1, 2000);
export const CONCURRENCY = intEnv("BENCH_CONCURRENCY", 8, 1, 64);
/** Requests sent to each measured route before its CPU is sampled (JIT, D1 pages warm). */
export const WARM_UP = 30;
export const POLLS = intEnv("BENCH_POLLS", 1000, 1, 2000);
export const LATENCY_CLIENTS = intEnv("BENCH_LATENCY_CLIENTS", 50, 1, 200);
export const LATENCY_RATE = intEnv("BENCH_LATENCY_RATE", 10, 1, 100);
export const STARTUP_RUNS = intEnv("BENCH_STARTUP_RUNS", 7, 1, 15);
export const TIMEOUT_S = intEnv("BENCH_TIMEOUT_S", 240, 30, 1800);
export const LOCAL_OBSERVABILITY = process.env.BENCH_LOCAL_OBSERVABILITY === "1";
// The worker allows 180 status polls a minute per client address (STATUS_LIMITER);
// workload B spreads its polls over the N clients and stays well below that.
const MAX_POLLS_PER_CLIENT = 50;
if (POLLS > MAX_POLLS_PER_CLIENT * N) {
	throw new Error(
		`BENCH_POLLS=${POLLS} is more than ${MAX_POLLS_PER_CLIENT} polls per client for BENCH_N=${N}: ` +
			"raise BENCH_N or lower BENCH_POLLS (the worker rate-limits status polls per client address)",
	);
}

// `npm run bench:launch`: BENCH_LAUNCH_CUSTOMERS over BENCH_LAUNCH_SECONDS with
// bursts of BENCH_LAUNCH_BURST_SECONDS, the runs (unthrottled, throttled,
// overrate, headroom), the throttled mail rate, the arrival seed, how many
// customers measure set-password and login, and the overall deadline.
export const LAUNCH_CUSTOMERS = intEnv("BENCH_LAUNCH_CUSTOMERS", 600, 10, 2000);
export const LAUNCH_SECONDS = intEnv("BENCH_LAUNCH_SECONDS", 60, 10, 600);
/** Each of the three bursts lasts this long: 5 s in a minute; 3 s makes peaks above Stripe's 25/s. */
export const LAUNCH_BURST_SECONDS = intEnv(
	"BENCH_LAUNCH_BURST_SECONDS",
	Math.max(1, Math.round(LAUNCH_SECONDS / 12)),
	1,
	60,
);
export const LAUNCH_RUNS = (process.env.BENCH_LAUNCH_RUNS || "unthrottled,throttled").split(",").map((s) => s.trim());
/** What the throttled mail provider accepts per second (the product is told the same). */
export const LAUNCH_MAIL_RATE = intEnv("BENCH_LAUNCH_MAIL_RATE", 10, 1, 100);
export const LAUNCH_SEED = intEnv("BENCH_LAUNCH_SEED", 20261201, 0, 2 ** 31 - 1);
export const LAUNCH_ACCOUNTS = intEnv("BENCH_LAUNCH_ACCOUNTS", 30, 5, 200);
export const LAUNCH_TIMEOUT_S = intEnv("BENCH_LAUNCH_TIMEOUT_S", 1500, 120, 3600);

const t0 = performance.now();
export function progress(message: string) {
	process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${message}\n`);
}

export class BenchError extends Error {
	name = "BenchError";
}
