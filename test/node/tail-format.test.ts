// `npm run tail` formatting, in plain Node: the chunk-proof stream parser, the one-line rendering of wrangler's
// trace objects (fixtures/tail-sample.jsonl) and the --client / --event / --json filters.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
	createJsonStreamParser,
	formatLogLine,
	formatTrace,
	formatValue,
	parseTailArgs,
	type TailFilter,
} from "../../scripts/tail-format";

const sample = readFileSync(new URL("./fixtures/tail-sample.jsonl", import.meta.url));

function parseAll(chunks: Array<string | Uint8Array>): { objects: unknown[]; texts: string[] } {
	const texts: string[] = [];
	const parser = createJsonStreamParser({ onText: (text) => texts.push(text) });
	const objects: unknown[] = [];
	for (const chunk of chunks) objects.push(...parser.push(chunk));
	objects.push(...parser.end());
	return { objects, texts };
}

const traces = parseAll([sample]).objects;

function render(filter: TailFilter): string[] {
	return traces.flatMap((trace) => formatTrace(trace, filter));
}

const ALL_LINES = [
	"09:33:20.012 WEBHOOK_RECEIVED event_id=evt_1QAbc event_type=checkout.session.completed livemode=false client_id=cli_7f3a checkout_session_id=cs_test_a1 secret_slot=0",
	"09:33:20.040 PROVISIONING_ENQUEUED client_id=cli_7f3a job_id=job_91 checkout_session_id=cs_test_a1",
	"09:33:20.041 WEBHOOK_PROCESSED_OK event_id=evt_1QAbc event_type=checkout.session.completed client_id=cli_7f3a outcome=processed",
	"09:33:21.503 log setup-status: asking Stripe about cs_test_b2 {confirming for 6 s}",
	'09:33:21.690 STRIPE_SYNC_FAILED client_id=cli_b2 checkout_session_id=cs_test_b2 error="Stripe API timeout after 5000 ms"',
	"09:33:22.105 PROVISIONING_STARTED job_id=job_91 client_id=cli_7f3a attempt=1",
	'09:33:22.180 OUTBOX_MESSAGE to=ada@example.com subject="Welcome to Acme — set your password" link="http://127.0.0.1:8787/set-password?token=example"',
	"09:33:22.181 PROVISIONING_COMPLETED job_id=job_91 client_id=cli_7f3a transport=outbox",
	"09:33:25.008 warn checkout: unknown plan pro-yearly",
	"09:33:25.009 EXCEPTION TypeError: Cannot read properties of undefined (reading 'priceId')",
	"09:33:25.009 OUTCOME exception POST /api/checkout",
	"09:33:27.011 WEBHOOK_RECEIVED event_id=evt_2Bcd event_type=invoice.paid livemode=false client_id=cli_b2 subscription_id=sub_b2 secret_slot=1",
	'09:33:27.052 WEBHOOK_PROCESSING_FAILED event_id=evt_2Bcd event_type=invoice.paid error="D1_ERROR: database is locked"',
	"09:34:20.004 RECONCILE_REQUEUED job_id=job_91 client_id=cli_7f3a state=PROVISIONING_STARTED requeues=1",
	"09:34:20.230 RECONCILE_DONE requeued=1 failed=0 stripe_checked=3 stripe_provisioned=0",
];

describe("createJsonStreamParser", () => {
	it("finds every trace in the sample, pretty-printed or not", () => {
		const { objects, texts } = parseAll([sample]);
		expect(texts).toEqual([]);
		expect(objects).toHaveLength(6);
		expect(objects.map((trace) => (trace as { outcome: string }).outcome)).toEqual([
			"ok",
			"ok",
			"ok",
			"exception",
			"ok",
			"ok",
		]);
		// The sample mixes wrangler's 4-space pretty print with single-line objects.
		expect(sample.toString().split("\n").length).toBeGreaterThan(100);
		expect(sample.toString()).toMatch(/^\{"outcome":"ok"/m);
	});

	it("gives the same objects however the bytes are split, even inside a multi-byte character", () => {
		const expected = parseAll([sample]).objects;
		// The em dash in the OUTBOX_MESSAGE subject is three bytes: splitting inside it must not corrupt it.
		const dash = sample.indexOf("—");
		expect(dash).toBeGreaterThan(0);
		const offsets = [1, 2, 3, 7, 64, 333, dash, dash + 1, dash + 2, sample.length - 1];
		for (let offset = 1; offset < sample.length; offset += 97) offsets.push(offset);
		for (const offset of offsets) {
			expect(parseAll([sample.subarray(0, offset), sample.subarray(offset)]).objects, `split at ${offset}`).toEqual(
				expected,
			);
		}
		for (const size of [1, 5, 13, 256]) {
			const chunks: Uint8Array[] = [];
			for (let at = 0; at < sample.length; at += size) chunks.push(sample.subarray(at, at + size));
			expect(parseAll(chunks).objects, `chunks of ${size}`).toEqual(expected);
		}
	});

	it("does not count braces or escaped quotes inside strings", () => {
		const input = '{"a":"}{\\"}","b":{"c":["{",1]}}\n{"d":"\\\\"}';
		const { objects } = parseAll(input.split(""));
		expect(objects).toEqual([{ a: '}{"}', b: { c: ["{", 1] } }, { d: "\\" }]);
	});

	it("reports text outside objects and a truncated final object instead of dropping them", () => {
		const { objects, texts } = parseAll(["▲ [WARNING] update available\n", '{"x":1}\n', '{"y":', "2"]);
		expect(objects).toEqual([{ x: 1 }]);
		expect(texts).toEqual(["▲ [WARNING] update available", '{"y":2']);
	});

	it("waits for the end of a stray line before deciding it is text", () => {
		const { objects, texts } = parseAll(["warn {not json", "} still text\n", '{"ok":true}']);
		expect(objects).toEqual([{ ok: true }]);
		expect(texts).toEqual(["warn {not json} still text"]);
	});
});

describe("formatTrace", () => {
	it("prints one line per log line, exception and non-ok outcome", () => {
		expect(render({ utc: true })).toEqual(ALL_LINES);
	});

	it("describes queue and cron invocations when they do not end ok", () => {
		const queue = { ...(traces[2] as object), outcome: "exceededCpu" };
		expect(formatTrace(queue, { utc: true }).at(-1)).toBe(
			"09:33:22.181 OUTCOME exceededCpu queue=provisioning batch=1",
		);
		const cron = { ...(traces[5] as object), outcome: "canceled" };
		expect(formatTrace(cron, { utc: true }).at(-1)).toBe('09:34:20.230 OUTCOME canceled cron="* * * * *"');
	});

	it("never prints a request's query string (the setup-status token lives there)", () => {
		const statusTrace = { ...(traces[1] as object), outcome: "exception" };
		const lines = formatTrace(statusTrace, { utc: true });
		expect(lines.at(-1)).toBe("09:33:21.690 OUTCOME exception GET /api/portal/setup-status status=200");
		expect(lines.join("\n")).not.toContain("ot_0123456789abcdef");
	});

	it("colours only when asked", () => {
		expect(render({ utc: true }).join("")).not.toContain("\x1b[");
		const [first] = render({ utc: true, color: true });
		expect(first).toContain("\x1b[");
		// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping the colour escapes under test
		expect(first?.replace(/\x1b\[\d+m/g, "")).toBe(ALL_LINES[0]);
	});

	it("--client keeps that client's lines, lines sharing its ids, and the trace's context lines", () => {
		expect(render({ utc: true, client: "cli_b2" })).toEqual([
			ALL_LINES[3],
			ALL_LINES[4],
			ALL_LINES[11],
			// No client_id of its own: matched through event_id evt_2Bcd of the WEBHOOK_RECEIVED above.
			ALL_LINES[12],
		]);
		expect(render({ utc: true, client: "cli_7f3a" })).toEqual([
			ALL_LINES[0],
			ALL_LINES[1],
			ALL_LINES[2],
			ALL_LINES[5],
			ALL_LINES[7],
			ALL_LINES[13],
		]);
		expect(render({ utc: true, client: "nobody" })).toEqual([]);
	});

	it("--client follows a job id learned in an earlier trace", () => {
		const filter: TailFilter = { utc: true, client: "cli_7f3a" };
		for (const trace of traces) formatTrace(trace, filter);
		const dlq = {
			outcome: "ok",
			logs: [
				{
					message: [JSON.stringify({ event: "PROVISIONING_FAILED", job_id: "job_91", error: "retries exhausted" })],
					level: "log",
					timestamp: 1732700100000,
				},
				{
					message: [JSON.stringify({ event: "PROVISIONING_FAILED", job_id: "job_other", error: "retries exhausted" })],
					level: "log",
					timestamp: 1732700100001,
				},
			],
			exceptions: [],
			eventTimestamp: 1732700100000,
			event: { batchSize: 2, queue: "onboarding-work-dlq" },
		};
		expect(formatTrace(dlq, filter)).toEqual([
			'09:35:00.000 PROVISIONING_FAILED job_id=job_91 error="retries exhausted"',
		]);
	});

	it("--event keeps only the named events; pseudo-names select exceptions and outcomes", () => {
		expect(render({ utc: true, events: ["WEBHOOK_RECEIVED", "PROVISIONING_COMPLETED"] })).toEqual([
			ALL_LINES[0],
			ALL_LINES[7],
			ALL_LINES[11],
		]);
		expect(render({ utc: true, events: ["EXCEPTION", "OUTCOME"] })).toEqual([ALL_LINES[9], ALL_LINES[10]]);
		expect(render({ utc: true, events: ["WEBHOOK_PROCESSING_FAILED"], client: "cli_b2" })).toEqual([ALL_LINES[12]]);
	});

	it("--json passes our JSON lines through verbatim and nothing else", () => {
		const lines = render({ json: true, events: ["WEBHOOK_RECEIVED"] });
		expect(lines).toEqual([
			'{"event":"WEBHOOK_RECEIVED","event_id":"evt_1QAbc","event_type":"checkout.session.completed","livemode":false,"client_id":"cli_7f3a","subscription_id":null,"checkout_session_id":"cs_test_a1","secret_slot":0}',
			'{"event":"WEBHOOK_RECEIVED","event_id":"evt_2Bcd","event_type":"invoice.paid","livemode":false,"client_id":"cli_b2","subscription_id":"sub_b2","checkout_session_id":null,"secret_slot":1}',
		]);
		const all = render({ json: true });
		expect(all).toHaveLength(11);
		for (const line of all) expect(JSON.parse(line)).toHaveProperty("event");
	});

	it("ignores what is not a trace", () => {
		expect(formatTrace(null)).toEqual([]);
		expect(formatTrace([1, 2])).toEqual([]);
		expect(formatTrace({ outcome: "ok" })).toEqual([]);
	});
});

describe("formatLogLine", () => {
	it("renders key=value pairs, quoting what needs it and omitting nulls", () => {
		expect(
			formatLogLine({
				event: "WEBHOOK_RECEIVED",
				event_id: "evt_1",
				event_type: "checkout.session.completed",
				client_id: "abc",
				subscription_id: null,
				note: undefined,
			}),
		).toBe("WEBHOOK_RECEIVED event_id=evt_1 event_type=checkout.session.completed client_id=abc");
		expect(formatLogLine({ event: "X", a: "two words", b: "", c: 'say "hi"', d: 3, e: true })).toBe(
			'X a="two words" b="" c="say \\"hi\\"" d=3 e=true',
		);
	});

	it("keeps a hostile value on one line without terminal escapes", () => {
		const line = formatLogLine({ event: "X", error: "line1\nline2\x1b[31m" });
		expect(line).toBe('X error="line1\\nline2\\u001b[31m"');
		// C1 controls (U+009B is a one-byte CSI) survive JSON.stringify, so they need their own escape.
		expect(formatLogLine({ event: "X", a: "\u009b2J" })).toBe('X a="\\u009b2J"');
		expect(
			formatTrace({ logs: [{ message: ["plain \u009b2J\nnext"], level: "log", timestamp: 0 }] }, { utc: true }),
		).toEqual(["00:00:00.000 log plain \\u009b2J\\nnext"]);
		expect(formatValue({ nested: ["a b"] })).toBe('{"nested":["a b"]}');
	});

	it("is the inverse of src/log.ts's shape: event first, plain fields after", () => {
		const line = '{"event":"PROVISIONING_STARTED","job_id":"j1","client_id":"c1","attempt":2}';
		expect(formatTrace({ logs: [{ message: [line], level: "log", timestamp: 0 }] }, { utc: true })).toEqual([
			"00:00:00.000 PROVISIONING_STARTED job_id=j1 client_id=c1 attempt=2",
		]);
		// JSON that is not ours (no leading `event`) stays a plain log line.
		expect(
			formatTrace({ logs: [{ message: ['{"a":1,"event":"X"}'], level: "log", timestamp: 0 }] }, { utc: true }),
		).toEqual(['00:00:00.000 log {"a":1,"event":"X"}']);
	});
});

describe("parseTailArgs", () => {
	it("takes our options and hands everything else to wrangler", () => {
		expect(
			parseTailArgs([
				"onboarding-edge",
				"--env",
				"production",
				"--client",
				"abc",
				"--event=webhook_received,CONFIG_ERROR",
			]),
		).toEqual({
			filter: { client: "abc", events: ["WEBHOOK_RECEIVED", "CONFIG_ERROR"] },
			wranglerArgs: ["onboarding-edge", "--env", "production"],
			help: false,
		});
		expect(parseTailArgs(["--json", "--format", "pretty", "--status", "error", "--", "--client", "x"])).toEqual({
			filter: { json: true },
			wranglerArgs: ["--status", "error", "--client", "x"],
			help: false,
		});
		expect(() => parseTailArgs(["--client"])).toThrow("--client needs a value");
	});
});
