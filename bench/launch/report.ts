// What `npm run bench:launch` prints: per run, the figures and the pass
// checks; then what a login and a set-password cost.
import type { AccountCost } from "./accounts.ts";
import type { LaunchFigures } from "./figures.ts";

const s = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s` : "n/a");

function table(rows: [string, string][]): string {
	const w = Math.max(...rows.map(([k]) => k.length));
	return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join("\n");
}

export function runReport(f: LaunchFigures, files: string[]): string {
	const t = f.timeToReadyMs;
	const seen = f.seenByPageMs;
	const p = f.paidToReadyMs;
	const st = f.settings;
	const rows: [string, string][] = [
		["customers completed / failed / lost", `${f.completed} / ${f.failed} / ${f.lost}`],
		["5xx answered by the worker", String(f.fiveXx)],
		[
			"worker answers by route and status",
			Object.entries(f.answers)
				.map(([r, by]) => `${r} ${JSON.stringify(by)}`)
				.join("; "),
		],
		[
			"Stripe API calls (per customer)",
			`${f.stripe.calls} (${f.stripe.perCustomer.toFixed(3)}), of which 429: ${f.stripe.rateLimited}; peak ${f.stripe.peakPerSecond} in 1 s; session reads after the webhook: ${f.stripe.afterWebhook}`,
		],
		["Stripe calls by request and answer", JSON.stringify(f.stripe.byRequest)],
		[
			"mail API calls (per customer)",
			`${f.mail.calls} (${f.mail.perCustomer.toFixed(3)}), accepted ${f.mail.accepted}, 429: ${f.mail.rateLimited}; answers ${JSON.stringify(f.mail.byAnswer)}`,
		],
		["mail calls / accepted, peak in any 1 s", `${f.mail.peakCallsPerSecond} / ${f.mail.peakAcceptedPerSecond}`],
		[
			"webhooks",
			`${f.webhooks.attempts} attempts; ${f.webhooks.duplicated} customers' event delivered twice, ${f.webhooks.late} late by 2–6 s, ` +
				`${f.webhooks.subscriptionFirst} with customer.subscription.created first; ${f.webhooks.notAccepted} deliveries never accepted`,
		],
		[
			"first webhook attempt → completed (D1) p50 / p95 / p99 / max",
			`${s(t.p50)} / ${s(t.p95)} / ${s(t.p99)} / ${s(t.max)}  (n=${t.n})`,
		],
		["paid → completed p50 / p95 / p99 / max", `${s(p.p50)} / ${s(p.p95)} / ${s(p.p99)} / ${s(p.max)}`],
		["paid → the page shows it (its polls) p50 / p95 / p99", `${s(seen.p50)} / ${s(seen.p95)} / ${s(seen.p99)}`],
		[
			"checkout answered in p50 / p95 / max",
			`${s(f.checkoutMs.p50)} / ${s(f.checkoutMs.p95)} / ${s(f.checkoutMs.max)}`,
		],
		[
			"first → last completion; drain pace (10th–90th pct)",
			`${f.drain.firstToLastCompletedS.toFixed(1)} s; ${f.drain.completionsPerSecond.toFixed(1)} completions/s`,
		],
		["status polls (per customer)", `${f.polls.total} (${f.polls.perCustomer.toFixed(1)})`],
		[
			"workerd CPU per customer, end to end",
			`${f.cpu.perCustomerMs.toFixed(1)} ms (${(f.cpu.workerdMs / 1000).toFixed(1)} s over ${f.cpu.seconds.toFixed(0)} s; ` +
				`idle workerd ${f.cpu.idleMsPerSecond.toFixed(1)} ms/s ≈ ${f.cpu.idleMsPerCustomer.toFixed(2)} ms of it per customer)`,
		],
	];
	if (f.failures.length > 0) rows.push(["first failures", f.failures.join("; ")]);
	const checks = f.checks.map((c) => `  ${c.pass ? "PASS" : "FAIL"}  ${c.name}: ${c.measured} (limit ${c.limit})`);
	return [
		`== ${f.run}: mail provider ${st.mailRate}/s, MAIL_RATE_PER_SECOND=${st.productMailRate}, Stripe ${st.stripeRate}/s`,
		table(rows),
		"",
		...checks,
		`  pictures: ${files.join(", ")}`,
		"",
	].join("\n");
}

export function accountsReport(a: { setPassword: AccountCost; login: AccountCost }): string {
	const line = (name: string, c: AccountCost) =>
		`  ${name}: ${c.workerdCpuMsPerRequest.toFixed(1)} ms workerd CPU per request, median ${c.latencyMedianMs.toFixed(0)} ms (${c.requests} requests, one at a time)`;
	return [
		"== accounts (PBKDF2-SHA256, 100,000 iterations)",
		line("POST /api/portal/password (set password from the welcome link)", a.setPassword),
		line("POST /api/portal/login", a.login),
		"",
	].join("\n");
}
