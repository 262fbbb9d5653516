// `npm run doctor`: the report formatter and exit code, then scripts/doctor.ts end to end against a throwaway
// node:http server that plays the worker's /api/health and /api/admin/health.
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	type Check,
	type DoctorInput,
	describeFetchError,
	type Fetched,
	formatDoctorReport,
	normalizeUrl,
	parseDoctorArgs,
} from "../../scripts/doctor-format";

const URL_ = "https://edge.example.com";
const healthOk: Fetched = { kind: "response", status: 200, body: { ok: true, mode: "test" } };
const healthBad: Fetched = { kind: "response", status: 200, body: { ok: false, mode: "test" } };

const passing: Check[] = [
	{ name: "stripe_key", ok: true, hint: "STRIPE_SECRET_KEY is a test key" },
	{ name: "d1", ok: true, hint: "D1 reachable, 7 tables migrated" },
];
const failingCheck: Check = {
	name: "webhook_secret",
	ok: false,
	hint: "STRIPE_WEBHOOK_SECRET_TEST is not set: wrangler secret put STRIPE_WEBHOOK_SECRET_TEST",
};

function admin(checks: Check[], mode = "test"): Fetched {
	return { kind: "response", status: 200, body: { ok: checks.every((c) => c.ok), mode, checks } };
}

function report(input: Partial<DoctorInput>) {
	return formatDoctorReport({ url: URL_, health: healthOk, admin: admin(passing), ...input });
}

describe("formatDoctorReport", () => {
	it("lists every check and exits 0 when all pass", () => {
		expect(report({})).toEqual({
			lines: [
				"ok   /api/health  ok, mode test",
				"ok   stripe_key  STRIPE_SECRET_KEY is a test key",
				"ok   d1          D1 reachable, 7 tables migrated",
				"All 2 checks passed (mode test)",
			],
			exitCode: 0,
		});
	});

	it("puts failed checks first, marks them FAIL and exits 1", () => {
		expect(report({ health: healthBad, admin: admin([...passing, failingCheck]) })).toEqual({
			lines: [
				"FAIL /api/health  not ok, mode test",
				"FAIL webhook_secret  STRIPE_WEBHOOK_SECRET_TEST is not set: wrangler secret put STRIPE_WEBHOOK_SECRET_TEST",
				"ok   stripe_key      STRIPE_SECRET_KEY is a test key",
				"ok   d1              D1 reachable, 7 tables migrated",
				"1 of 3 checks failed (mode test)",
			],
			exitCode: 1,
		});
	});

	it("marks a passing check that warns, lists it after failures and before passes, and still exits 0", () => {
		const warning: Check = {
			name: "stripe_webhook_endpoint",
			ok: true,
			warn: true,
			hint: "the endpoint sends API version 2024-06-20",
		};
		expect(report({ admin: admin([...passing, warning]) })).toEqual({
			lines: [
				"ok   /api/health  ok, mode test",
				"warn stripe_webhook_endpoint  the endpoint sends API version 2024-06-20",
				"ok   stripe_key               STRIPE_SECRET_KEY is a test key",
				"ok   d1                       D1 reachable, 7 tables migrated",
				"All 3 checks passed (mode test)",
			],
			exitCode: 0,
		});
	});

	it("uses ✔/✘ and colour on a terminal", () => {
		const { lines, exitCode } = formatDoctorReport(
			{ url: URL_, health: healthOk, admin: admin([passing[0] as Check, failingCheck]) },
			{ tty: true },
		);
		expect(exitCode).toBe(1);
		// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping the colour escapes under test
		const plain = lines.map((line) => line.replace(/\x1b\[\d*m/g, ""));
		expect(plain).toEqual([
			"✔ /api/health  ok, mode test",
			`✘ webhook_secret  ${failingCheck.hint}`,
			"✔ stripe_key      STRIPE_SECRET_KEY is a test key",
			"1 of 2 checks failed (mode test)",
		]);
		expect(lines[1]).toContain("\x1b[31m✘");
	});

	it("trusts the worker's ok:false even when no check says why", () => {
		const body = { ok: false, mode: "live", checks: passing };
		const result = report({ admin: { kind: "response", status: 200, body } });
		expect(result.exitCode).toBe(1);
		expect(result.lines.at(-1)).toBe("The worker reports not ok although all 2 checks passed (mode live)");
	});

	it("says the token is wrong on 401", () => {
		const result = report({
			admin: {
				kind: "response",
				status: 401,
				body: { error: "unauthorized", message: "A valid admin bearer token is required." },
			},
		});
		expect(result.exitCode).toBe(1);
		expect(result.lines).toEqual([
			"ok   /api/health  ok, mode test",
			"FAIL /api/admin/health answered 401 — the admin token is wrong: pass --token or set ADMIN_TOKEN to the worker's ADMIN_TOKEN secret — unauthorized: A valid admin bearer token is required.",
		]);
	});

	it("passes on the worker's explanation for other statuses", () => {
		const result = report({
			admin: {
				kind: "response",
				status: 503,
				body: { error: "admin_disabled", message: "ADMIN_TOKEN is not set: wrangler secret put ADMIN_TOKEN" },
			},
		});
		expect(result.lines.at(-1)).toBe(
			"FAIL /api/admin/health answered 503 — admin_disabled: ADMIN_TOKEN is not set: wrangler secret put ADMIN_TOKEN",
		);
		expect(result.exitCode).toBe(1);
	});

	it("reports a network error and does not pretend to have checked anything", () => {
		const result = report({
			health: { kind: "error", message: "connect ECONNREFUSED 127.0.0.1:8787" },
			admin: "skipped",
		});
		expect(result).toEqual({
			lines: [`FAIL cannot reach ${URL_}/api/health: connect ECONNREFUSED 127.0.0.1:8787`],
			exitCode: 1,
		});
	});

	it("asks for a token when there is none, and flags a non-JSON answer", () => {
		expect(report({ admin: "no-token" }).lines.at(-1)).toBe(
			"FAIL no admin token: pass --token or set ADMIN_TOKEN to run the configuration checks",
		);
		const html = report({ health: { kind: "response", status: 200, body: "<!doctype html><title>Sign up</title>" } });
		expect(html.lines[0]).toBe("FAIL /api/health answered 200 but not JSON — is --url the worker, not another site?");
		expect(html.exitCode).toBe(1);
		const odd = report({ admin: { kind: "response", status: 200, body: { ok: true } } });
		expect(odd.exitCode).toBe(1);
		expect(odd.lines.at(-1)).toMatch(/^FAIL \/api\/admin\/health answered 200 with an unexpected body/);
	});
});

describe("doctor arguments", () => {
	it("reads --url and --token, defaulting the token to ADMIN_TOKEN", () => {
		expect(parseDoctorArgs(["--url", "https://edge.example.com/"], { ADMIN_TOKEN: "env-token" })).toEqual({
			url: "https://edge.example.com",
			token: "env-token",
		});
		expect(parseDoctorArgs(["--url=edge.example.com", "--token", "t"], {})).toEqual({
			url: "https://edge.example.com",
			token: "t",
		});
		expect(parseDoctorArgs(["--help"], {})).toBeNull();
		expect(() => parseDoctorArgs([], {})).toThrow("--url is required");
		expect(() => parseDoctorArgs(["--url", "x", "--verbose"], {})).toThrow("unknown argument --verbose");
	});

	it("normalises URLs and digs the reason out of fetch errors", () => {
		expect(normalizeUrl("localhost:8787")).toBe("http://localhost:8787");
		expect(normalizeUrl("https://host/base//")).toBe("https://host/base");
		const error = new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:1") });
		expect(describeFetchError(error)).toBe("connect ECONNREFUSED 127.0.0.1:1");
		expect(describeFetchError(new DOMException("timed out", "TimeoutError"))).toBe("no answer within the timeout");
	});
});

describe("scripts/doctor.ts end to end", () => {
	type Scenario = { status: number; body: unknown };
	const scenarios: Record<string, Scenario> = {
		"/ok": { status: 200, body: { ok: true, mode: "test", checks: passing } },
		"/failing": { status: 200, body: { ok: false, mode: "live", checks: [...passing, failingCheck] } },
		"/unauthorized": {
			status: 401,
			body: { error: "unauthorized", message: "A valid admin bearer token is required." },
		},
	};
	const seenAuth: string[] = [];
	let server: Server;
	let base = "";

	beforeAll(async () => {
		server = createServer((req, res) => {
			const url = new URL(req.url ?? "/", "http://localhost");
			const [, scenario = "", ...rest] = url.pathname.split("/");
			const path = `/${rest.join("/")}`;
			const send = (status: number, body: unknown) => {
				res.writeHead(status, { "content-type": "application/json" });
				res.end(JSON.stringify(body));
			};
			const canned = scenarios[`/${scenario}`];
			if (!canned) return send(404, { error: "not_found", message: "Not found" });
			if (path === "/api/health") return send(200, { ok: canned.status === 200, mode: "test" });
			if (path === "/api/admin/health") {
				seenAuth.push(req.headers.authorization ?? "");
				return send(canned.status, canned.body);
			}
			return send(404, { error: "not_found", message: "Not found" });
		});
		await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
		base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	});

	afterAll(async () => {
		await new Promise((resolve) => server.close(resolve));
	});

	const script = fileURLToPath(new URL("../../scripts/doctor.ts", import.meta.url));

	function runDoctor(args: string[]): Promise<{ code: number | null; stdout: string[]; stderr: string }> {
		return new Promise((resolve, reject) => {
			const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" };
			delete env.ADMIN_TOKEN;
			const child = spawn(process.execPath, ["--experimental-strip-types", script, ...args], {
				env,
				stdio: ["ignore", "pipe", "pipe"],
			});
			let stdout = "";
			let stderr = "";
			child.stdout.on("data", (chunk: Buffer) => {
				stdout += chunk.toString();
			});
			child.stderr.on("data", (chunk: Buffer) => {
				stderr += chunk.toString();
			});
			child.on("error", reject);
			child.on("close", (code) => resolve({ code, stdout: stdout.trimEnd().split("\n"), stderr }));
		});
	}

	it("prints every check and exits 0 when all pass, sending the bearer token", async () => {
		const result = await runDoctor(["--url", `${base}/ok`, "--token", "t"]);
		// Only Node's ExperimentalWarning for type stripping may appear on stderr.
		expect(result.stderr).not.toMatch(/error/i);
		expect(result.stdout).toEqual([
			"ok   /api/health  ok, mode test",
			"ok   stripe_key  STRIPE_SECRET_KEY is a test key",
			"ok   d1          D1 reachable, 7 tables migrated",
			"All 2 checks passed (mode test)",
		]);
		expect(result.code).toBe(0);
		expect(seenAuth.at(-1)).toBe("Bearer t");
	});

	it("exits 1 and lists the failure first", async () => {
		const result = await runDoctor(["--url", `${base}/failing`, "--token", "t"]);
		expect(result.stdout).toEqual([
			"ok   /api/health  ok, mode test",
			`FAIL webhook_secret  ${failingCheck.hint}`,
			"ok   stripe_key      STRIPE_SECRET_KEY is a test key",
			"ok   d1              D1 reachable, 7 tables migrated",
			"1 of 3 checks failed (mode live)",
		]);
		expect(result.code).toBe(1);
	});

	it("exits 1 saying the token is wrong on 401", async () => {
		const result = await runDoctor(["--url", `${base}/unauthorized`, "--token", "wrong"]);
		expect(result.stdout).toHaveLength(2);
		expect(result.stdout[1]).toMatch(/^FAIL \/api\/admin\/health answered 401 — the admin token is wrong/);
		expect(result.code).toBe(1);
	});

	it("exits 1 with the reason when nothing listens", async () => {
		const closed = createServer();
		await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
		const port = (closed.address() as AddressInfo).port;
		await new Promise((resolve) => closed.close(resolve));
		const result = await runDoctor(["--url", `http://127.0.0.1:${port}`, "--token", "t"]);
		expect(result.stdout).toEqual([
			`FAIL cannot reach http://127.0.0.1:${port}/api/health: connect ECONNREFUSED 127.0.0.1:${port}`,
		]);
		expect(result.code).toBe(1);
	});

	it("exits 2 with usage on bad arguments", async () => {
		const result = await runDoctor([]);
		expect(result.code).toBe(2);
		expect(result.stderr).toContain("--url is required");
	});
});
