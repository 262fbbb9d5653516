// The report: the Markdown table of figures, the targets with PASS/FAIL, the
// worker − floor differences, and the text `npm run bench` prints on stdout.
import { MAX_BUNDLE_GZIP_BYTES } from "../../scripts/deploy-check.ts";
import type { BundleSize } from "../common/instances.ts";
import type { StartupSummary } from "./startup.ts";
import type { WorkloadFigures } from "./workloads.ts";

function fmt(n: number, digits = 1): string {
	return Number.isFinite(n) ? n.toFixed(digits) : "n/a";
}
function kib(bytes: number): string {
	return `${(bytes / 1024).toFixed(2)} KiB (${bytes} B)`;
}

export interface Results {
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

export interface Targets {
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
		webhookAloneOverEmptyCpuRatio: number;
		statusPollOverEmptyCpuRatio: number;
	};
}

const KIB = 1024;

export function evaluateTargets(
	r: Pick<Results, "bundle" | "coldStart" | "workloads" | "webhookToCompleted">,
): Targets {
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
		// The same three figures as ratios and a start-up delta: a floor that doubles on a
		// busy machine moves "floor + ms" limits less than it moves the worker's figures.
		check("Webhook alone: CPU ÷ floor", "×", aloneCpu / emptyCpu, "<=", 1.2, `floor ${fmt(emptyCpu, 2)} ms`),
		check("Status poll: CPU ÷ floor", "×", statusCpu / emptyCpu, "<=", 1.15, `floor ${fmt(emptyCpu, 2)} ms`),
		check(
			"Cold-start CPU, median − empty worker median",
			"ms",
			coldWorker - coldEmpty,
			"<=",
			10,
			`empty worker median ${fmt(coldEmpty, 1)}`,
		),
		check(
			"Bundle, gzip -9",
			"KiB",
			r.bundle.worker.gzipBytes / KIB,
			"<=",
			MAX_BUNDLE_GZIP_BYTES / KIB,
			"npm run check:deploy's budget",
		),
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
			webhookAloneOverEmptyCpuRatio: aloneCpu / emptyCpu,
			statusPollOverEmptyCpuRatio: statusCpu / emptyCpu,
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
		`- ratios to the floor: webhook ${fmt(d.webhookAloneOverEmptyCpuRatio, 2)}×, status poll ${fmt(d.statusPollOverEmptyCpuRatio, 2)}×`,
	].join("\n");
}

/** Everything main() writes to latest.json that the printed report reads. */
interface ReportedResults extends Results {
	config: { localObservability: boolean };
	machine: { cpus: number; loadavg1mBefore: number; loadavg1mAfter: number };
	targets: Targets;
}

/** What `npm run bench` prints on stdout: collector setting, table, targets, and a note if the machine was busy. */
export function report(results: ReportedResults): string {
	const collector = results.config.localObservability
		? "on (BENCH_LOCAL_OBSERVABILITY=1)"
		: "off (BENCH_LOCAL_OBSERVABILITY=1 turns it on)";
	let text = `wrangler dev's local trace collector: ${collector}\n\n${table(results)}\n\n${targetsReport(results.targets)}\n`;
	const busiest = Math.max(results.machine.loadavg1mBefore, results.machine.loadavg1mAfter);
	if (busiest > results.machine.cpus) {
		text +=
			`\nNote: 1-min load average ${busiest.toFixed(1)} on ${results.machine.cpus} CPUs: other work competed; ` +
			"req/s and latency are pessimistic, CPU ms/request is less affected.\n";
	}
	return text;
}
