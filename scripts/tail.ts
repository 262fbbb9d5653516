// `npm run tail`: runs `wrangler tail --format json` and prints our log lines readably (formatting lives in
// tail-format.ts). Extra arguments go to wrangler: `npm run tail -- onboarding-edge --client abc`.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { formatTrace, parseJsonStream, parseTailArgs, TAIL_USAGE, type TailArgs } from "./tail-format.ts";

let args: TailArgs;
try {
	args = parseTailArgs(process.argv.slice(2));
} catch (error) {
	process.stderr.write(`${(error as Error).message}\n\n${TAIL_USAGE}\n`);
	process.exit(2);
}
if (args.help) {
	process.stdout.write(`${TAIL_USAGE}\n`);
	process.exit(0);
}

const filter = { ...args.filter, color: process.stdout.isTTY === true && !process.env.NO_COLOR };
const localWrangler = fileURLToPath(new URL("../node_modules/.bin/wrangler", import.meta.url));
const command = existsSync(localWrangler) ? localWrangler : "wrangler";

// The deployed worker is wrangler.toml's top level; `--env=""` names it, which spares the warning wrangler
// prints when a file has several environments and none is named.
const envNamed = args.wranglerArgs.some(
	(a) => a === "--env" || a === "-e" || a.startsWith("--env=") || a.startsWith("-e="),
);
const target = envNamed ? [] : ["--env="];
// stdin stays attached so wrangler can still ask to log in; stderr is wrangler's own messages, shown as they are.
const child = spawn(command, ["tail", "--format", "json", ...target, ...args.wranglerArgs], {
	stdio: ["inherit", "pipe", "inherit"],
	shell: process.platform === "win32",
});

child.on("error", (error) => {
	process.stderr.write(`could not start ${command}: ${error.message}\n`);
	process.exit(1);
});

// Ctrl-C reaches wrangler through the process group; staying alive until it exits lets it delete the tail session.
process.on("SIGINT", () => {});
process.on("SIGTERM", () => child.kill("SIGTERM"));

// `npm run tail | head` closes our stdout early: stop wrangler instead of crashing on EPIPE.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
	if (error.code === "EPIPE") {
		child.kill("SIGINT");
		process.exit(0);
	}
	throw error;
});

const exited = new Promise<number>((resolve) => {
	child.on("close", (code, signal) => resolve(code ?? (signal ? 130 : 1)));
});

if (child.stdout) {
	const traces = parseJsonStream(child.stdout, {
		onText: (text) => process.stderr.write(`${text}\n`),
	});
	for await (const trace of traces) {
		const lines = formatTrace(trace, filter);
		if (lines.length > 0) process.stdout.write(`${lines.join("\n")}\n`);
	}
}
process.exitCode = await exited;
