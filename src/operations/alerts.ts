// Alerts to the operator, sent from the cron only (never from a customer's
// request): a failed job, a configuration problem, the dead-man's switch
// (checkouts confirmed by asking Stripe while no webhook arrived), the app's
// endpoint failing. One message per problem per hour while it lasts, and one
// "resolved" when it clears; the state is in D1 (db/alerts.ts).
import type { Config } from "../config";
import { type AlertRow, alertRowsFor, failedJobs, saveAlert } from "../db/alerts";
import type { Db } from "../db/database";
import { errorMessage, log } from "../log";
import { ALERT_MAX_CHARS, ALERT_REPEAT_MS } from "../rules/alerts";
import { deliveryCheck, mailQuotaCheck } from "./doctor";
import { appDeliveryCheck } from "./doctor-app";

export interface Problem {
	key: string;
	text: string;
}

export interface AlertMessage {
	key: string;
	kind: "new" | "reminder" | "resolved";
	text: string;
}

export interface AlertDeps {
	db: Db;
	config: Pick<Config, "app" | "appUrl" | "problems">;
	now: number;
	fetcher?: typeof fetch;
}

/** At most this many failed jobs are named, one problem each; the console lists them all. */
const FAILED_JOBS_NAMED = 5;
const SEND_TIMEOUT_MS = 10_000;

/** What is wrong now, each under a stable key. */
export async function currentProblems(deps: AlertDeps): Promise<Problem[]> {
	const { db, config, now } = deps;
	const problems: Problem[] = config.problems.map((p) => ({
		key: `config:${p.name}`,
		text: `CONFIG_ERROR ${p.name}: ${p.hint}`,
	}));
	for (const job of await failedJobs(db, FAILED_JOBS_NAMED)) {
		problems.push({
			key: `job_failed:${job.id}`,
			text: `onboarding of ${job.crn} failed: ${job.lastError ?? "no error recorded"} (console: Retry)`,
		});
	}
	const deliveries = await deliveryCheck(db, now);
	if (!deliveries.ok) problems.push({ key: "webhook_deliveries", text: `no Stripe webhooks: ${deliveries.hint}` });
	const app = await appDeliveryCheck(db, config, now);
	if (!app.ok) problems.push({ key: "app_deliveries", text: `your app's webhooks are failing: ${app.hint}` });
	const quota = await mailQuotaCheck(db);
	if (!quota.ok) problems.push({ key: "mail_quota", text: `CONFIG_ERROR mail_quota: ${quota.hint}` });
	return problems;
}

/**
 * Pure: which messages to send now. A problem without an open row is new; an
 * open one is said again once its last message is an hour old; an open row
 * whose problem is gone gets its one "resolved".
 */
export function planAlerts(problems: Problem[], rows: AlertRow[], now: number): AlertMessage[] {
	const byKey = new Map(rows.map((r) => [r.key, r]));
	const messages: AlertMessage[] = [];
	for (const problem of problems) {
		const row = byKey.get(problem.key);
		if (!row || row.state === "resolved") messages.push({ key: problem.key, kind: "new", text: problem.text });
		else if (now - row.lastSentAt >= ALERT_REPEAT_MS)
			messages.push({ key: problem.key, kind: "reminder", text: problem.text });
	}
	const present = new Set(problems.map((p) => p.key));
	for (const row of rows) {
		if (row.state === "open" && !present.has(row.key))
			messages.push({ key: row.key, kind: "resolved", text: row.problem });
	}
	return messages;
}

/** The words of one message, naming the deployment: several may share a channel. */
export function alertText(message: AlertMessage, appUrl: string, openedAt?: number): string {
	const where = appUrl.replace(/^https?:\/\//, "");
	const body =
		message.kind === "resolved"
			? `Resolved on ${where}: ${message.text}`
			: message.kind === "reminder"
				? `Still on ${where} (since ${new Date(openedAt ?? 0).toISOString()}): ${message.text}`
				: `Alert on ${where}: ${message.text}`;
	return body.length > ALERT_MAX_CHARS ? `${body.slice(0, ALERT_MAX_CHARS - 1)}…` : body;
}

/** Slack reads `text`, Discord `content`: one body both accept. */
async function post(url: string, text: string, fetcher: typeof fetch): Promise<void> {
	const response = await fetcher(url, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ text, content: text }),
		signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
	});
	if (!response.ok) throw new Error(`alert receiver answered ${response.status}`);
}

/** One look at the problems and the messages they call for; a failed send is tried again next minute. */
export async function sendAlerts(deps: AlertDeps): Promise<{ sent: number; failed: number }> {
	const url = deps.config.app.alertUrl;
	if (!url) return { sent: 0, failed: 0 };
	const problems = await currentProblems(deps);
	const rows = await alertRowsFor(
		deps.db,
		problems.map((p) => p.key),
	);
	const byKey = new Map(rows.map((r) => [r.key, r]));
	let sent = 0;
	for (const message of planAlerts(problems, rows, deps.now)) {
		const row = byKey.get(message.key);
		const openedAt = message.kind === "new" ? deps.now : (row?.openedAt ?? deps.now);
		const text = alertText(message, deps.config.appUrl, openedAt);
		try {
			await post(url, text, deps.fetcher ?? fetch);
		} catch (error) {
			// The rest wait for the next run: a receiver that is down is not hammered once per problem.
			log("ALERT_FAILED", { key: message.key, error: errorMessage(error) });
			return { sent, failed: 1 };
		}
		await saveAlert(deps.db, {
			key: message.key,
			state: message.kind === "resolved" ? "resolved" : "open",
			problem: message.text,
			openedAt,
			lastSentAt: deps.now,
			lastMessage: text,
			resolvedAt: message.kind === "resolved" ? deps.now : null,
		});
		log("ALERT_SENT", { key: message.key, kind: message.kind });
		sent++;
	}
	return { sent, failed: 0 };
}
