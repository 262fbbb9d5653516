// The pure half of `npm run doctor`: argument parsing and turning the /api/health and /api/admin/health answers into
// report lines and an exit code. scripts/doctor.ts does the fetching.

export interface Check {
	name: string;
	ok: boolean;
	/** Passing, but worth a look. */
	warn?: boolean;
	hint: string;
}

export interface AdminHealth {
	ok: boolean;
	mode: string;
	checks: Check[];
}

/** One HTTP exchange as doctor.ts saw it: a response (body parsed as JSON when it was JSON) or a transport failure. */
export type Fetched = { kind: "response"; status: number; body: unknown } | { kind: "error"; message: string };

export interface DoctorInput {
	url: string;
	health: Fetched;
	/** "no-token": nothing to authenticate with; "skipped": the host was unreachable already. */
	admin: Fetched | "no-token" | "skipped";
}

export interface DoctorReport {
	lines: string[];
	exitCode: 0 | 1;
}

export interface DoctorStyle {
	/** Colour and ✔/✘; without it plain `ok`/`FAIL`, so piped output greps well. */
	tty?: boolean;
}

const RESET = "\x1b[0m";
const RED = "\x1b[31m";
const GREEN = "\x1b[32m";
const YELLOW = "\x1b[33m";
const DIM = "\x1b[2m";
const BOLD = "\x1b[1m";

function paint(style: DoctorStyle, code: string, value: string): string {
	return style.tty ? `${code}${value}${RESET}` : value;
}

function mark(ok: boolean, style: DoctorStyle, warn = false): string {
	if (style.tty) return !ok ? paint(style, RED, "✘") : warn ? paint(style, YELLOW, "!") : paint(style, GREEN, "✔");
	return !ok ? "FAIL" : warn ? "warn" : "ok  ";
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

// A check list is only trusted if every entry has the documented shape; anything else is reported, not guessed at.
export function parseAdminHealth(body: unknown): AdminHealth | null {
	if (!isRecord(body) || typeof body.ok !== "boolean" || !Array.isArray(body.checks)) return null;
	const checks: Check[] = [];
	for (const item of body.checks) {
		if (!isRecord(item) || typeof item.name !== "string" || typeof item.ok !== "boolean") return null;
		const hint = typeof item.hint === "string" ? item.hint : "";
		checks.push({ name: item.name, ok: item.ok, ...(item.warn === true ? { warn: true } : {}), hint });
	}
	return { ok: body.ok, mode: typeof body.mode === "string" ? body.mode : "unknown", checks };
}

/** `✘ name  hint`, with names padded to `width` so the hints line up. */
export function formatCheckLine(check: Check, width: number, style: DoctorStyle = {}): string {
	const name = paint(style, check.ok ? "" : BOLD, check.name.padEnd(width));
	const hint = check.ok && !check.warn ? paint(style, DIM, check.hint) : check.hint;
	return `${mark(check.ok, style, check.warn)} ${name}  ${hint}`.trimEnd();
}

/** Failed checks first, then warnings, so they are on screen without scrolling; each group keeps the worker's order. */
export function sortChecks(checks: Check[]): Check[] {
	return [
		...checks.filter((check) => !check.ok),
		...checks.filter((check) => check.ok && check.warn),
		...checks.filter((check) => check.ok && !check.warn),
	];
}

function errorDetail(body: unknown): string {
	if (isRecord(body)) {
		const parts = [body.error, body.message].filter((part): part is string => typeof part === "string");
		if (parts.length > 0) return parts.join(": ");
	}
	if (typeof body === "string") {
		const flat = body.replace(/\s+/g, " ").trim();
		return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat;
	}
	return "";
}

function failureLine(path: string, fetched: Fetched, input: DoctorInput, style: DoctorStyle): string {
	if (fetched.kind === "error") return `${mark(false, style)} cannot reach ${input.url}${path}: ${fetched.message}`;
	const detail = errorDetail(fetched.body);
	let advice = "";
	if (fetched.status === 401 || fetched.status === 403) {
		advice = "the admin token is wrong: pass --token or set ADMIN_TOKEN to the worker's ADMIN_TOKEN secret";
	} else if (fetched.status === 404) {
		advice = "route not found: is --url this worker, and is the current version deployed?";
	}
	const what = `${path} answered ${fetched.status}`;
	return `${mark(false, style)} ${[what, advice, detail].filter((part) => part !== "").join(" — ")}`;
}

export function formatDoctorReport(input: DoctorInput, style: DoctorStyle = {}): DoctorReport {
	const lines: string[] = [];
	let failed = false;

	const { health, admin } = input;
	if (health.kind === "response" && health.status === 200 && isRecord(health.body)) {
		const ok = health.body.ok === true;
		const mode = typeof health.body.mode === "string" ? health.body.mode : "unknown";
		lines.push(`${mark(ok, style)} /api/health  ${ok ? "ok" : "not ok"}, mode ${mode}`);
		if (!ok) failed = true;
	} else if (health.kind === "response" && health.status === 200) {
		lines.push(`${mark(false, style)} /api/health answered 200 but not JSON — is --url the worker, not another site?`);
		failed = true;
	} else {
		lines.push(failureLine("/api/health", health, input, style));
		failed = true;
	}

	if (admin === "no-token") {
		lines.push(`${mark(false, style)} no admin token: pass --token or set ADMIN_TOKEN to run the configuration checks`);
		return { lines, exitCode: 1 };
	}
	if (admin === "skipped") return { lines, exitCode: 1 };
	if (admin.kind === "error" || admin.status !== 200) {
		lines.push(failureLine("/api/admin/health", admin, input, style));
		return { lines, exitCode: 1 };
	}
	const report = parseAdminHealth(admin.body);
	if (!report) {
		lines.push(
			`${mark(false, style)} /api/admin/health answered 200 with an unexpected body: ${errorDetail(admin.body)}`,
		);
		return { lines, exitCode: 1 };
	}

	const width = Math.max(0, ...report.checks.map((check) => check.name.length));
	for (const check of sortChecks(report.checks)) lines.push(formatCheckLine(check, width, style));
	const failures = report.checks.filter((check) => !check.ok).length;
	const total = report.checks.length;
	if (failures > 0) {
		lines.push(paint(style, RED, `${failures} of ${total} checks failed (mode ${report.mode})`));
		failed = true;
	} else if (!report.ok) {
		// The worker's own verdict wins even if no single check explains it.
		lines.push(
			paint(style, RED, `The worker reports not ok although all ${total} checks passed (mode ${report.mode})`),
		);
		failed = true;
	} else {
		lines.push(paint(style, GREEN, `All ${total} checks passed (mode ${report.mode})`));
	}
	return { lines, exitCode: failed ? 1 : 0 };
}

/** Node's fetch hides the useful part ("connect ECONNREFUSED 127.0.0.1:8787") in `cause`. */
export function describeFetchError(error: unknown): string {
	if (!(error instanceof Error)) return String(error);
	if (error.name === "TimeoutError" || error.name === "AbortError") return "no answer within the timeout";
	const cause = (error as Error & { cause?: unknown }).cause;
	if (cause instanceof Error && cause.message) return cause.message;
	if (isRecord(cause) && typeof cause.code === "string") return cause.code;
	return error.message;
}

export interface DoctorArgs {
	url: string;
	token: string | undefined;
	/** --fix: repair the Stripe webhook endpoint first (STRIPE_SECRET_KEY from the environment). */
	fix?: true;
}

export const DOCTOR_USAGE = `Usage: npm run doctor -- --url https://your-worker.example.com [--token ADMIN_TOKEN] [--fix]

Calls /api/health and /api/admin/health and prints every configuration check.
The token defaults to the ADMIN_TOKEN environment variable. Exit code 1 if any
check failed or a request failed. --fix first repairs the Stripe webhook
endpoint for --url (events, url, enabled, API version) with STRIPE_SECRET_KEY.`;

/** Throws with a message for the user on bad arguments; returns null for --help. */
export function parseDoctorArgs(argv: string[], env: Record<string, string | undefined>): DoctorArgs | null {
	let url: string | undefined;
	let token = env.ADMIN_TOKEN || undefined;
	let fix = false;
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i] as string;
		const eq = arg.indexOf("=");
		const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
		const value = (): string => {
			if (eq > 0 && arg.startsWith("--")) return arg.slice(eq + 1);
			const next = argv[i + 1];
			if (next === undefined || next.startsWith("--")) throw new Error(`${flag} needs a value`);
			i++;
			return next;
		};
		if (flag === "--url") url = value();
		else if (flag === "--token") token = value();
		else if (flag === "--fix") fix = true;
		else if (flag === "-h" || flag === "--help") return null;
		else throw new Error(`unknown argument ${arg}`);
	}
	if (!url) throw new Error("--url is required");
	return { url: normalizeUrl(url), token, ...(fix ? { fix: true as const } : {}) };
}

/** `host` or `https://host/` → `https://host`, so paths can be appended; a local port defaults to http. */
export function normalizeUrl(raw: string): string {
	const trimmed = raw.trim();
	const withScheme = /^https?:\/\//i.test(trimmed)
		? trimmed
		: `${/^(localhost|127\.0\.0\.1|\[::1\])(:|$)/.test(trimmed) ? "http" : "https"}://${trimmed}`;
	const url = new URL(withScheme);
	return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}
