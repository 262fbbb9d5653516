// Starts the real worker under `wrangler dev` on loopback, with fresh local D1
// and queues in a temporary folder, on wrangler.toml's [env.local] as `npm run dev`
// runs it; stops it cleanly.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const WRANGLER = join(process.cwd(), "node_modules/.bin/wrangler");

export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const address = server.address();
			server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
		});
	});
}

export interface WorkerServer {
	url: string;
	logs: string[];
	/** Runs SQL on the worker's local D1, for a state only time would bring (a schedule spent). */
	sql(command: string): Promise<void>;
	stop(): Promise<void>;
}

export async function startWorker(vars: Record<string, string>): Promise<WorkerServer> {
	const port = await freePort();
	const inspectorPort = await freePort();
	const persist = await mkdtemp(join(tmpdir(), "onboarding-e2e-"));
	await run(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--env", "local", "--persist-to", persist], {
		env: { ...process.env, CI: "1" },
	});
	const url = `http://127.0.0.1:${port}`;
	const args = [
		"dev",
		"--env",
		"local",
		"--ip",
		"127.0.0.1",
		"--port",
		String(port),
		"--inspector-port",
		String(inspectorPort),
	];
	args.push("--persist-to", persist, "--show-interactive-dev-session=false");
	for (const [key, value] of Object.entries({ APP_URL: url, ...vars })) args.push("--var", `${key}:${value}`);
	const child: ChildProcess = spawn(WRANGLER, args, {
		detached: true,
		stdio: ["ignore", "pipe", "pipe"],
		env: process.env,
	});
	const logs: string[] = [];
	const collect = (chunk: Buffer) => logs.push(...chunk.toString().split("\n").filter(Boolean));
	child.stdout?.on("data", collect);
	child.stderr?.on("data", collect);

	const deadline = Date.now() + 60_000;
	for (;;) {
		try {
			await fetch(`${url}/api/health`);
			break;
		} catch {}
		if (Date.now() > deadline || child.exitCode !== null) {
			throw new Error(`wrangler dev did not start:\n${logs.slice(-30).join("\n")}`);
		}
		await new Promise((r) => setTimeout(r, 250));
	}

	return {
		url,
		logs,
		async sql(command: string) {
			await run(
				WRANGLER,
				["d1", "execute", "DB", "--local", "--env", "local", "--persist-to", persist, "--command", command],
				{ env: { ...process.env, CI: "1" } },
			);
		},
		async stop() {
			if (child.pid && child.exitCode === null) {
				try {
					process.kill(-child.pid, "SIGTERM");
				} catch {}
				await new Promise((r) => setTimeout(r, 500));
				try {
					process.kill(-child.pid, "SIGKILL");
				} catch {}
			}
			await rm(persist, { recursive: true, force: true });
		},
	};
}

/** The Resend API key the browser tests' worker sends with: its account at the stand-in. */
export const E2E_MAIL_KEY = "re_e2e_key";

/** `wrangler dev` as `npm run dev` runs it (dev tools, no Stripe key), mailing through the Resend stand-in at `mailUrl`. */
export function startDevWorkerMailingTo(mailUrl: string, vars: Record<string, string> = {}): Promise<WorkerServer> {
	return startWorker({
		DEV_TOOLS: "1",
		STRIPE_SECRET_KEY: "",
		MAIL_TRANSPORT: "resend",
		MAIL_API_KEY: E2E_MAIL_KEY,
		MAIL_API_BASE: mailUrl,
		...vars,
	});
}
