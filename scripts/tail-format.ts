// The pure half of `npm run tail`: split wrangler's `--format json` stream into trace objects, filter them and
// render our JSON log lines (src/log.ts) as `HH:MM:SS.mmm EVENT key=value …`. No I/O here; scripts/tail.ts wires it.

export interface TailLog {
	message: unknown[];
	level: string;
	timestamp: number | null;
}

export interface TailException {
	name: string;
	message: unknown;
	timestamp: number | null;
}

export interface TailFilter {
	/** Keep only lines about this client (its client_id, or an id first seen next to it). */
	client?: string;
	/** Upper-cased event names to keep; also matches the pseudo-names LOG, WARN, ERROR, EXCEPTION, OUTCOME. */
	events?: string[];
	/** Print our JSON lines verbatim (for jq) and nothing else. */
	json?: boolean;
	color?: boolean;
	utc?: boolean;
	/**
	 * `key=value` ids (job_id, event_id, …) seen on lines of `client`. Lines such as WEBHOOK_PROCESSING_FAILED or a
	 * retry carry no client_id of their own; this is what lets --client still follow them, across traces too.
	 */
	related?: Set<string>;
}

export type LogObject = Record<string, unknown> & { event: string };

// ---------------------------------------------------------------------------------------------------------------------
// Streaming parser

export interface JsonStreamParser {
	/** Feed any slice of the stream; returns the top-level objects completed by it. */
	push(chunk: string | Uint8Array): unknown[];
	/** The stream ended: reports a trailing incomplete object or stray text through onText. */
	end(): unknown[];
}

export interface JsonStreamOptions {
	/** Text outside any object (a wrangler warning, a truncated object) — never silently dropped. */
	onText?: (text: string) => void;
}

/**
 * wrangler prints each trace with JSON.stringify(trace, null, 4), so an object spans many lines and a chunk boundary
 * can fall anywhere, including inside a multi-byte character; braces inside strings must not count.
 */
export function createJsonStreamParser(options: JsonStreamOptions = {}): JsonStreamParser {
	const decoder = new TextDecoder("utf-8");
	let buf = "";
	// Scan state survives between chunks so every character is looked at once.
	let pos = 0;
	let start = -1;
	let depth = 0;
	let inString = false;
	let escaped = false;

	const text = (value: string) => {
		const trimmed = value.replace(/\r$/, "");
		if (trimmed.trim() !== "") options.onText?.(trimmed);
	};

	function scan(): unknown[] {
		const out: unknown[] = [];
		let keepFrom = buf.length;
		let i = pos;
		while (i < buf.length) {
			const ch = buf[i];
			if (depth === 0) {
				if (ch === "{") {
					start = i;
					depth = 1;
				} else if (ch !== " " && ch !== "\n" && ch !== "\r" && ch !== "\t") {
					const newline = buf.indexOf("\n", i);
					if (newline === -1) {
						// Stray text without its line end yet: wait for the rest of the line.
						keepFrom = i;
						break;
					}
					text(buf.slice(i, newline));
					i = newline;
				}
			} else if (inString) {
				if (escaped) escaped = false;
				else if (ch === "\\") escaped = true;
				else if (ch === '"') inString = false;
			} else if (ch === '"') {
				inString = true;
			} else if (ch === "{" || ch === "[") {
				depth++;
			} else if (ch === "}" || ch === "]") {
				depth--;
				if (depth === 0) {
					const source = buf.slice(start, i + 1);
					start = -1;
					try {
						out.push(JSON.parse(source));
					} catch {
						text(source);
					}
				}
			}
			i++;
		}
		if (depth > 0) keepFrom = start;
		buf = buf.slice(keepFrom);
		pos = i - keepFrom;
		if (start >= 0) start -= keepFrom;
		return out;
	}

	return {
		push(chunk) {
			buf += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
			return scan();
		},
		end() {
			buf += decoder.decode();
			const out = scan();
			text(buf);
			buf = "";
			pos = 0;
			start = -1;
			depth = 0;
			inString = false;
			escaped = false;
			return out;
		},
	};
}

/** Yields each top-level JSON object of a byte or text stream, e.g. a child process's stdout. */
export async function* parseJsonStream(
	source: AsyncIterable<string | Uint8Array>,
	options: JsonStreamOptions = {},
): AsyncGenerator<unknown> {
	const parser = createJsonStreamParser(options);
	for await (const chunk of source) yield* parser.push(chunk);
	yield* parser.end();
}

// ---------------------------------------------------------------------------------------------------------------------
// Formatting

const ANSI = {
	reset: "\x1b[0m",
	dim: "\x1b[2m",
	red: "\x1b[31m",
	green: "\x1b[32m",
	yellow: "\x1b[33m",
	cyan: "\x1b[36m",
} as const;

function paint(color: boolean | undefined, code: string, value: string): string {
	return color ? `${code}${value}${ANSI.reset}` : value;
}

function eventColor(name: string): string {
	if (/FAILED|INVALID|REJECTED|ERROR|EXCEPTION|OUTCOME/.test(name)) return ANSI.red;
	if (/RETRY|DUPLICATE|IGNORED|RATE_LIMITED|REQUEUED|DEFERRED|SKIPPED|WARN/.test(name)) return ANSI.yellow;
	if (/_OK$|COMPLETED|SENT|CONFIRMED|PROVISIONED|CREATED|_DONE$/.test(name)) return ANSI.green;
	return ANSI.cyan;
}

// Matching control characters is the point: a log value must stay on its line and must not drive the terminal.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters being escaped
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: a value holding one of them must be quoted and escaped
const NEEDS_QUOTES = /[\s"'=\\\u0000-\u001f\u007f-\u009f]/;

function escapeControl(value: string): string {
	return value.replace(CONTROL, (ch) => {
		if (ch === "\n") return "\\n";
		if (ch === "\r") return "\\r";
		return `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
	});
}

/** `HH:MM:SS.mmm`; local time unless utc, because that is what the person reading the terminal is living in. */
export function formatTime(timestamp: number | null | undefined, utc = false): string {
	if (typeof timestamp !== "number" || !Number.isFinite(timestamp)) return "--:--:--.---";
	const d = new Date(timestamp);
	const pad = (n: number, width = 2) => String(n).padStart(width, "0");
	return utc
		? `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`
		: `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** One field value as it appears after `key=`; null and undefined have no rendering (the pair is omitted). */
export function formatValue(value: unknown): string | null {
	if (value === null || value === undefined) return null;
	if (typeof value === "string") {
		// Quote whenever the bare text could be misread as several pairs or as nothing at all.
		// JSON.stringify escapes C0 controls but leaves C1 ones (e.g. U+009B, a CSI) raw.
		return value === "" || NEEDS_QUOTES.test(value) ? escapeControl(JSON.stringify(value)) : value;
	}
	if (typeof value === "number" || typeof value === "boolean") return String(value);
	return escapeControl(JSON.stringify(value) ?? String(value));
}

/** `EVENT_NAME key=value …` for one of our log objects (no timestamp: that belongs to the trace). */
export function formatLogLine(obj: Record<string, unknown>, options: { color?: boolean } = {}): string {
	const name = escapeControl(String(obj.event));
	const parts = [paint(options.color, eventColor(name), name)];
	for (const [key, value] of Object.entries(obj)) {
		if (key === "event") continue;
		const rendered = formatValue(value);
		if (rendered === null) continue;
		parts.push(`${paint(options.color, ANSI.dim, `${escapeControl(key)}=`)}${rendered}`);
	}
	return parts.join(" ");
}

/** Our log line if `message` is exactly one of them (one string, a JSON object whose first key is `event`). */
export function parseLogMessage(message: unknown[]): LogObject | null {
	if (message.length !== 1) return null;
	const [only] = message;
	if (typeof only !== "string" || !only.trimStart().startsWith("{")) return null;
	let parsed: unknown;
	try {
		parsed = JSON.parse(only);
	} catch {
		return null;
	}
	if (!isRecord(parsed) || typeof parsed.event !== "string" || Object.keys(parsed)[0] !== "event") return null;
	return parsed as LogObject;
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

function timestampOf(value: unknown): number | null {
	return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function messageText(message: unknown[]): string {
	return escapeControl(
		message.map((part) => (typeof part === "string" ? part : (JSON.stringify(part) ?? String(part)))).join(" "),
	);
}

/** What started the invocation, for the OUTCOME line; a request's query string is left out (it can carry a token). */
export function describeInvocation(event: unknown): string {
	if (!isRecord(event)) return "";
	if (isRecord(event.request)) {
		const method = typeof event.request.method === "string" ? event.request.method : "?";
		let path = "?";
		if (typeof event.request.url === "string") {
			try {
				path = new URL(event.request.url).pathname;
			} catch {
				path = event.request.url.split("?")[0] ?? "?";
			}
		}
		const status = isRecord(event.response) && typeof event.response.status === "number" ? event.response.status : null;
		return escapeControl(`${method} ${path}${status === null ? "" : ` status=${status}`}`);
	}
	if (typeof event.queue === "string") {
		return escapeControl(
			`queue=${event.queue}${typeof event.batchSize === "number" ? ` batch=${event.batchSize}` : ""}`,
		);
	}
	if (typeof event.cron === "string") return `cron=${formatValue(event.cron)}`;
	if (typeof event.rpcMethod === "string") return escapeControl(`rpc=${event.rpcMethod}`);
	if (typeof event.mailFrom === "string") return "email";
	if ("scheduledTime" in event) return "alarm";
	return "";
}

interface Entry {
	timestamp: number | null;
	label: string;
	log?: LogObject;
	raw?: string;
	text?: string;
}

const CORRELATION_KEYS = ["job_id", "event_id", "checkout_session_id", "subscription_id"];

function learnRelated(obj: LogObject, filter: TailFilter): void {
	if (!filter.client || obj.client_id !== filter.client) return;
	filter.related ??= new Set();
	for (const key of CORRELATION_KEYS) {
		const value = obj[key];
		if (typeof value === "string" && value !== "") filter.related.add(`${key}=${value}`);
	}
}

function matchesClient(obj: LogObject, filter: TailFilter): boolean {
	if (!filter.client) return true;
	if (obj.client_id === filter.client) return true;
	// Another client's line shares no ids with ours that matter; only lines that lack a client_id borrow one.
	if (obj.client_id !== undefined && obj.client_id !== null) return false;
	return CORRELATION_KEYS.some((key) => {
		const value = obj[key];
		return typeof value === "string" && filter.related?.has(`${key}=${value}`) === true;
	});
}

function wantsName(name: string, filter: TailFilter): boolean {
	return !filter.events || filter.events.length === 0 || filter.events.includes(name.toUpperCase());
}

/**
 * The lines one wrangler trace object prints, in time order. Pure except for `filter.related`, which --client uses to
 * remember the ids it has seen next to the client's id.
 */
export function formatTrace(trace: unknown, filter: TailFilter = {}): string[] {
	if (!isRecord(trace)) return [];
	const entries: Entry[] = [];
	if (Array.isArray(trace.logs)) {
		for (const item of trace.logs) {
			if (!isRecord(item)) continue;
			const message = Array.isArray(item.message) ? item.message : [item.message];
			const log = parseLogMessage(message);
			const timestamp = timestampOf(item.timestamp);
			if (log) {
				entries.push({ timestamp, label: log.event, log, raw: String(message[0]).trim() });
			} else {
				const label = typeof item.level === "string" ? item.level : "log";
				entries.push({ timestamp, label, text: messageText(message) });
			}
		}
	}
	if (Array.isArray(trace.exceptions)) {
		for (const item of trace.exceptions) {
			if (!isRecord(item)) continue;
			const name = typeof item.name === "string" ? item.name : "Error";
			const message = typeof item.message === "string" ? item.message : JSON.stringify(item.message);
			entries.push({
				timestamp: timestampOf(item.timestamp) ?? timestampOf(trace.eventTimestamp),
				label: "EXCEPTION",
				text: escapeControl(`${name}: ${message}`),
			});
		}
	}
	// Logs and exceptions each come in order; merging them by time shows what happened just before the throw.
	entries.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));

	const invocation = isRecord(trace.event) ? trace.event : null;
	if (typeof trace.outcome === "string" && trace.outcome !== "ok") {
		const described = describeInvocation(invocation);
		// eventTimestamp is when the invocation began; the verdict belongs after everything it logged.
		const times = entries.map((entry) => entry.timestamp ?? Number.NEGATIVE_INFINITY);
		const last = Math.max(timestampOf(trace.eventTimestamp) ?? Number.NEGATIVE_INFINITY, ...times);
		entries.push({
			timestamp: Number.isFinite(last) ? last : null,
			label: "OUTCOME",
			text: escapeControl(trace.outcome) + (described ? ` ${described}` : ""),
		});
	}
	// wrangler's own notices (sampling under load) arrive as a trace whose event is {type, message}.
	if (invocation && typeof invocation.type === "string" && typeof invocation.message === "string") {
		entries.push({
			timestamp: timestampOf(trace.eventTimestamp),
			label: "TAIL",
			text: escapeControl(invocation.message),
		});
	}

	for (const entry of entries) if (entry.log) learnRelated(entry.log, filter);
	const clientSeen = !filter.client || entries.some((entry) => entry.log && matchesClient(entry.log, filter));

	const lines: string[] = [];
	for (const entry of entries) {
		if (!wantsName(entry.label, filter)) continue;
		if (entry.log) {
			if (!matchesClient(entry.log, filter)) continue;
			if (filter.json) {
				lines.push(entry.raw ?? JSON.stringify(entry.log));
				continue;
			}
			lines.push(
				`${paint(filter.color, ANSI.dim, formatTime(entry.timestamp, filter.utc))} ${formatLogLine(entry.log, filter)}`,
			);
			continue;
		}
		// Context lines carry no client_id: under --client they show only beside a line of that client.
		if (filter.json || !clientSeen) continue;
		const colored = paint(
			filter.color,
			entry.label === "log" ? ANSI.dim : eventColor(entry.label.toUpperCase()),
			entry.label,
		);
		lines.push(`${paint(filter.color, ANSI.dim, formatTime(entry.timestamp, filter.utc))} ${colored} ${entry.text}`);
	}
	return lines;
}

// ---------------------------------------------------------------------------------------------------------------------
// Arguments

export interface TailArgs {
	filter: TailFilter;
	/** Handed to `wrangler tail` unchanged (worker name, --env, --status, --search, …). */
	wranglerArgs: string[];
	help: boolean;
}

export const TAIL_USAGE = `Usage: npm run tail -- [worker-name] [--env NAME] [options] [wrangler tail options]

Streams \`wrangler tail --format json\` and prints each log line as
  HH:MM:SS.mmm EVENT_NAME key=value …

Options:
  --client <id>          only lines about this client (its client_id, or a job/event id seen with it)
  --event <NAME>[,NAME]  only these event names (repeatable); LOG, EXCEPTION and OUTCOME select the other lines
  --json                 print our JSON log lines verbatim, one per line (for jq)
  --utc                  timestamps in UTC instead of local time
  -h, --help             this text
Anything else is passed to wrangler tail (e.g. --status error, --search evt_123, --sampling-rate 0.5).`;

export function parseTailArgs(argv: string[]): TailArgs {
	const filter: TailFilter = {};
	const wranglerArgs: string[] = [];
	let help = false;
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i] as string;
		if (arg === "--") {
			wranglerArgs.push(...argv.slice(i + 1));
			break;
		}
		const eq = arg.indexOf("=");
		const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
		const inline = arg.startsWith("--") && eq > 0 ? arg.slice(eq + 1) : undefined;
		const value = (): string => {
			if (inline !== undefined) return inline;
			const next = argv[i + 1];
			if (next === undefined || next.startsWith("--")) throw new Error(`${flag} needs a value`);
			i++;
			return next;
		};
		if (flag === "--client") filter.client = value();
		else if (flag === "--event") {
			const names = value()
				.split(",")
				.map((name) => name.trim().toUpperCase())
				.filter((name) => name !== "");
			filter.events = [...(filter.events ?? []), ...names];
		} else if (flag === "--json") filter.json = true;
		else if (flag === "--utc") filter.utc = true;
		else if (flag === "-h" || flag === "--help") help = true;
		else if (flag === "--format") {
			// Our parser needs json; a --format given out of habit is dropped rather than breaking the stream.
			if (inline === undefined && argv[i + 1] !== undefined && !argv[i + 1]?.startsWith("-")) i++;
		} else wranglerArgs.push(arg);
	}
	return { filter, wranglerArgs, help };
}
