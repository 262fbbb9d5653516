// `npm run bench:launch`: launch day under `wrangler dev` (local D1 and queues),
// 600 customers in a minute against rate-limited Stripe and mail stand-ins, once
// with an unthrottled mail provider and once at 10/s; figures, checks and pictures.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { startDev } from "../common/dev-servers.ts";
import { applyMigrations, gitDescribe, snapshotWorker } from "../common/instances.ts";
import {
	BenchError,
	LAUNCH_ACCOUNTS,
	LAUNCH_BURST_SECONDS,
	LAUNCH_CUSTOMERS,
	LAUNCH_MAIL_RATE,
	LAUNCH_RUNS,
	LAUNCH_SECONDS,
	LAUNCH_SEED,
	LAUNCH_TIMEOUT_S,
	progress,
	RESULTS_DIR,
	WEBHOOK_SECRET,
} from "../common/knobs.ts";
import { freePort, runBench, stopAll } from "../common/procs.ts";
import { type StandIns, startStandIns } from "../common/stand-ins.ts";
import { measureAccounts } from "./accounts.ts";
import { describeProfile, launchProfile, seededRandom } from "./arrivals.ts";
import { launchFigures, type RunSettings } from "./figures.ts";
import { accountsReport, runReport } from "./report.ts";
import { readJobs, runLaunch } from "./run.ts";
import { inFlightChart, readyHistogram } from "./svg.ts";
import { inFlight, readyTimes, timelines } from "./timelines.ts";

/** Stripe's test-mode limit: 25 requests/s (https://docs.stripe.com/rate-limits). */
const STRIPE_RATE = 25;
const MAIL = LAUNCH_MAIL_RATE;

/**
 * The runs. The product's MAIL_RATE_PER_SECOND equals the provider's rate
 * (BENCH_LAUNCH_MAIL_RATE, 10/s) in "throttled", is twice it in "overrate" and
 * nine tenths of it in "headroom".
 */
const RUNS: Record<string, RunSettings> = {
	unthrottled: {
		name: "unthrottled",
		mailRate: 1000,
		productMailRate: 1000,
		stripeRate: STRIPE_RATE,
		kind: "unthrottled",
	},
	throttled: { name: "throttled", mailRate: MAIL, productMailRate: MAIL, stripeRate: STRIPE_RATE, kind: "throttled" },
	overrate: { name: "overrate", mailRate: MAIL, productMailRate: 2 * MAIL, stripeRate: STRIPE_RATE, kind: "throttled" },
	headroom: {
		name: "headroom",
		mailRate: MAIL,
		productMailRate: 0.9 * MAIL,
		stripeRate: STRIPE_RATE,
		kind: "throttled",
	},
};

const jsonOnly = process.argv.includes("--json");

async function oneRun(
	settings: RunSettings,
	workerDir: string,
	tmp: string,
	standIns: StandIns,
	withAccounts: boolean,
) {
	const { name } = settings;
	const profile = launchProfile(LAUNCH_CUSTOMERS, LAUNCH_SECONDS, LAUNCH_BURST_SECONDS, seededRandom(LAUNCH_SEED));
	const persist = join(tmp, `state-${name}`);
	await applyMigrations(name, workerDir, persist);
	const keys = { stripe: `sk_test_launch_${name}_${LAUNCH_SEED}`, mail: `re_launch_${name}_${LAUNCH_SEED}` };
	await standIns.limit(keys.stripe, settings.stripeRate, keys.mail, settings.mailRate);
	const port = await freePort();
	const origin = `http://127.0.0.1:${port}`;
	const vars = {
		DEV_TOOLS: "0",
		APP_URL: origin,
		STRIPE_SECRET_KEY: keys.stripe,
		STRIPE_WEBHOOK_SECRET_TEST: WEBHOOK_SECRET,
		STRIPE_API_BASE: standIns.stripeBase,
		MAIL_TRANSPORT: "resend",
		MAIL_API_KEY: keys.mail,
		MAIL_API_BASE: standIns.mailBase,
		MAIL_RATE_PER_SECOND: String(settings.productMailRate),
	};
	const args = ["--env", "local", ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`])];
	const dev = await startDev(`launch-${name}`, workerDir, port, [...args, "--persist-to", persist], "/api/health");
	progress(
		`${name}: worker on ${dev.origin} (pid ${dev.pid}); mail ${settings.mailRate}/s, MAIL_RATE_PER_SECOND=${settings.productMailRate}`,
	);
	const run = await runLaunch(dev, standIns, keys, profile, LAUNCH_SEED, name);
	const accounts = withAccounts
		? await measureAccounts(dev, standIns, keys.mail, run.journeys, LAUNCH_ACCOUNTS)
		: undefined;
	// Stopped before its D1 is read, so nothing writes to it meanwhile.
	await stopAll();
	const jobs = await readJobs(workerDir, persist);
	const full = { ...run, jobs };
	const figures = launchFigures(settings, full);

	const t = figures.timeToReadyMs;
	const line = timelines(run.journeys, jobs);
	const ready = readyTimes(line).fromWebhook;
	const early = ready.filter((ms) => ms === 0).length;
	// Each customer's moments in ms since the start, for a reader who wants more than the figures.
	const rel = (v?: number) => (v === undefined ? null : Math.round(v - run.startedAt));
	const customers = run.journeys.map((j, i) => ({
		index: j.index,
		arrived: rel(line[i]?.arrivedAt),
		checkout: rel(line[i]?.checkoutAt),
		paid: rel(line[i]?.paidAt),
		firstWebhookAttempt: rel(line[i]?.firstAttemptAt),
		jobCreated: rel(line[i]?.jobCreatedAt),
		completed: rel(line[i]?.completedAt),
		seenByPage: rel(j.completedSeenAt),
		polls: j.polls,
		outcome: j.outcome,
		...j.plan,
	}));
	const rate = `mail ${settings.mailRate}/s (MAIL_RATE_PER_SECOND ${settings.productMailRate})`;
	const histogram = readyHistogram(
		ready,
		`Time to portal ready, ${name} run: ${t.n} of ${figures.customers} customers`,
		[
			`${rate} · from Stripe's first webhook attempt to the job completed in D1`,
			...(early > 0
				? [`${early} at 0 s: ready before Stripe's late first attempt (the status page had asked Stripe)`]
				: []),
		],
		[
			["p50", t.p50],
			["p95", t.p95],
			["p99", t.p99],
		],
	);
	const chart = inFlightChart(
		inFlight(line, run.startedAt),
		`Customers in flight, ${name} run: ${figures.customers} arrive in ${LAUNCH_SECONDS} s`,
		`${rate} · Stripe ${settings.stripeRate}/s · completed ${figures.completed}, failed ${figures.failed}, lost ${figures.lost}`,
		profile.bursts,
		settings.kind === "throttled" ? settings.mailRate : undefined,
	);
	const files = [`launch-${name}-time-to-ready.svg`, `launch-${name}-in-flight.svg`];
	writeFileSync(join(RESULTS_DIR, files[0] as string), histogram);
	writeFileSync(join(RESULTS_DIR, files[1] as string), chart);
	// Every mail API call as [ms since the start, status]: the pacing, and where 429s fell.
	const mailCalls = run.exchanges
		.filter((e) => e.service === "mail")
		.map((e) => [e.at - run.startedAt, e.status, run.journeys.findIndex((j) => j.email === e.to)]);
	return { figures, accounts, files, profile, customers, mailCalls };
}

async function main() {
	mkdirSync(RESULTS_DIR, { recursive: true });
	const unknown = LAUNCH_RUNS.filter((r) => !RUNS[r]);
	if (unknown.length > 0)
		throw new BenchError(`BENCH_LAUNCH_RUNS: unknown run ${unknown.join(", ")} (use ${Object.keys(RUNS).join(", ")})`);
	const tmp = mkdtempSync(join(tmpdir(), "bench-launch-"));
	const loadBefore = loadavg()[0] as number;
	let standIns: StandIns | undefined;
	try {
		const profile = launchProfile(LAUNCH_CUSTOMERS, LAUNCH_SECONDS, LAUNCH_BURST_SECONDS, seededRandom(LAUNCH_SEED));
		process.stderr.write(`${describeProfile(profile)}\n`);
		const workerDir = join(tmp, "worker");
		snapshotWorker(workerDir);
		standIns = await startStandIns();
		progress(`Stripe and mail stand-ins on ${standIns.url}; runs: ${LAUNCH_RUNS.join(", ")}`);
		const text: string[] = [describeProfile(profile), ""];
		const all: Record<string, unknown> = {};
		let allPass = true;
		for (const [i, name] of LAUNCH_RUNS.entries()) {
			const r = await oneRun(RUNS[name] as RunSettings, workerDir, tmp, standIns, i === 0);
			allPass &&= r.figures.checks.every((c) => c.pass);
			const json = {
				when: new Date().toISOString(),
				source: gitDescribe(),
				machine: { cpus: cpus().length, loadavg1mBefore: loadBefore, loadavg1mAfter: loadavg()[0] as number },
				arrivals: { ...r.profile, offsetsMs: undefined },
				figures: r.figures,
				accounts: r.accounts,
				pictures: r.files,
				customers: r.customers,
				mailCalls: r.mailCalls,
			};
			all[name] = json;
			writeFileSync(join(RESULTS_DIR, `launch-${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
			text.push(runReport(r.figures, r.files));
			if (r.accounts) text.push(accountsReport(r.accounts));
		}
		const busiest = Math.max(loadBefore, loadavg()[0] as number);
		text.push(
			`1-min load average ${loadBefore.toFixed(1)} before, ${(loadavg()[0] as number).toFixed(1)} after, on ${cpus().length} CPUs.`,
		);
		if (busiest > cpus().length)
			text.push("Other work competed for the CPUs: latencies are pessimistic; CPU per customer is less affected.");
		text.push(`JSON and pictures in ${RESULTS_DIR}/launch-*; worker logs in ${RESULTS_DIR}/wrangler-dev-launch-*.log`);
		process.stdout.write(jsonOnly ? `${JSON.stringify(all, null, 2)}\n` : `${text.join("\n")}\n`);
		if (!allPass) process.exitCode = 1;
	} finally {
		await stopAll();
		await standIns?.close();
		rmSync(tmp, { recursive: true, force: true });
	}
}

runBench(main, LAUNCH_TIMEOUT_S);
