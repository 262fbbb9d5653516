// One launch against one `wrangler dev` instance: every customer on its own
// schedule, workerd CPU sampled around the whole of it, and afterwards the
// provisioning jobs read back from the instance's local D1.
import http from "node:http";
import type { DevServer } from "../common/dev-servers.ts";
import { BenchError, progress } from "../common/knobs.ts";
import { type CpuSample, runWrangler, sampleCpu, sleep } from "../common/procs.ts";
import type { Exchange, StandIns } from "../common/stand-ins.ts";
import { type ArrivalProfile, seededRandom } from "./arrivals.ts";
import { type Answers, type CustomerContext, type Journey, POLL_LIMIT_MS, runCustomer } from "./customers.ts";
import { planDelivery } from "./webhooks.ts";

export interface JobRow {
	clientId: string;
	state: string;
	attempts: number;
	createdAt: number;
	completedAt: number | null;
}

export interface LaunchRun {
	startedAt: number;
	endedAt: number;
	journeys: Journey[];
	answers: Answers;
	exchanges: Exchange[];
	jobs: JobRow[];
	cpu: { before: CpuSample; after: CpuSample; idleMsPerSecond: number };
}

/** Idle workerd CPU over a few quiet seconds, so a reader can tell it from the launch's. */
async function idleRate(server: DevServer): Promise<number> {
	const before = sampleCpu(server.pid);
	await sleep(3000);
	const after = sampleCpu(server.pid);
	return (after.workerdMs - before.workerdMs) / 3;
}

export async function runLaunch(
	server: DevServer,
	standIns: StandIns,
	keys: { stripe: string; mail: string },
	profile: ArrivalProfile,
	seed: number,
	tag: string,
): Promise<Omit<LaunchRun, "jobs">> {
	const random = seededRandom(seed);
	const between = (lo: number, hi: number) => () => lo + random() * (hi - lo);
	// A deadline for the whole run: the last arrival, Stripe's page, the page's 180 s, and slack.
	const lastArrival = profile.offsetsMs[profile.offsetsMs.length - 1] ?? 0;
	const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
	const answers: Answers = new Map();
	const idleMsPerSecond = await idleRate(server);
	const exchangesBefore = standIns.exchanges.length;
	const startedAt = Date.now() + 500;
	const ctx: CustomerContext = {
		origin: server.origin,
		agent,
		standIns,
		stripeKey: keys.stripe,
		answers,
		payMs: between(1000, 3000),
		redirectMs: between(300, 1200),
		jitterMs: between(100, 2000),
		deadline: startedAt + lastArrival + 3000 + 1200 + POLL_LIMIT_MS + 5000,
	};
	const before = sampleCpu(server.pid);
	progress(`${tag}: ${profile.customers} customers over ${profile.seconds} s against ${server.origin}`);
	let done = 0;
	const ticker = setInterval(() => {
		const s = Math.round((Date.now() - startedAt) / 1000);
		progress(`${tag}: ${s} s, ${done} of ${profile.customers} customers finished`);
	}, 15_000);
	let journeys: Journey[];
	try {
		journeys = await Promise.all(
			profile.offsetsMs.map((offset, i) => {
				// Drawn in a fixed order before any await: a seed means the same deliveries.
				const plan = planDelivery(random);
				return runCustomer(ctx, i, startedAt + offset, plan, `launch+${tag}-${seed}-${i}@example.com`).finally(() => {
					done++;
				});
			}),
		);
	} finally {
		clearInterval(ticker);
		agent.destroy();
	}
	const after = sampleCpu(server.pid);
	if (before.workerdPids.join() !== after.workerdPids.join()) {
		throw new BenchError(`${tag}: workerd restarted during the launch (${before.workerdPids} -> ${after.workerdPids})`);
	}
	return {
		startedAt,
		endedAt: Date.now(),
		journeys,
		answers,
		exchanges: standIns.exchanges.slice(exchangesBefore).filter((e) => e.key === keys.stripe || e.key === keys.mail),
		cpu: { before, after, idleMsPerSecond },
	};
}

/** The instance's provisioning jobs, read from its local D1 (the product's own record of each step's time). */
export async function readJobs(cwd: string, persistTo: string): Promise<JobRow[]> {
	const r = await runWrangler(
		[
			"d1",
			"execute",
			"DB",
			"--local",
			"--persist-to",
			persistTo,
			"--json",
			"--command",
			"select client_id, state, attempts, created_at, completed_at from jobs",
		],
		{ cwd, timeoutMs: 90_000 },
	);
	if (r.code !== 0) throw new BenchError(`d1 execute exited ${r.code}\n${r.stdout}\n${r.stderr}`);
	const parsed = JSON.parse(r.stdout) as {
		results: { client_id: string; state: string; attempts: number; created_at: number; completed_at: number | null }[];
	}[];
	return (parsed[0]?.results ?? []).map((row) => ({
		clientId: row.client_id,
		state: row.state,
		attempts: row.attempts,
		createdAt: row.created_at,
		completedAt: row.completed_at,
	}));
}
