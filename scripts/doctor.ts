// `npm run doctor -- --url https://host [--token T]`: asks a running worker for its configuration checks and prints
// them (formatting in doctor-format.ts). Exit code 1 when anything failed, so it can gate a deploy.
import {
	DOCTOR_USAGE,
	type DoctorArgs,
	describeFetchError,
	type Fetched,
	formatDoctorReport,
	parseDoctorArgs,
} from "./doctor-format.ts";
import { fixWebhookEndpoint, secretInstructions } from "./stripe-setup-run.ts";

const TIMEOUT_MS = 15_000;

let args: DoctorArgs | null;
try {
	args = parseDoctorArgs(process.argv.slice(2), process.env);
} catch (error) {
	process.stderr.write(`${(error as Error).message}\n\n${DOCTOR_USAGE}\n`);
	process.exit(2);
}
if (!args) {
	process.stdout.write(`${DOCTOR_USAGE}\n`);
	process.exit(0);
}

async function get(url: string, token?: string): Promise<Fetched> {
	const headers: Record<string, string> = { accept: "application/json" };
	if (token) headers.authorization = `Bearer ${token}`;
	try {
		const response = await fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
		const text = await response.text();
		let body: unknown = text;
		try {
			body = JSON.parse(text);
		} catch {
			// Not JSON (an HTML error page, a proxy): the formatter shows the start of the text.
		}
		return { kind: "response", status: response.status, body };
	} catch (error) {
		return { kind: "error", message: describeFetchError(error) };
	}
}

if (args.fix) {
	const key = process.env.STRIPE_SECRET_KEY ?? "";
	if (!/^(sk|rk)_(test|live)_/.test(key)) {
		process.stderr.write("--fix needs STRIPE_SECRET_KEY (the deployment's key) in the environment\n");
		process.exit(2);
	}
	try {
		const base = process.env.STRIPE_API_BASE || "https://api.stripe.com";
		const fixed = await fixWebhookEndpoint({ key, base, appUrl: args.url });
		process.stdout.write(`Stripe webhook endpoint for ${args.url}:\n${fixed.lines.join("\n")}\n`);
		if (fixed.webhookSecret) process.stdout.write(`${secretInstructions(key, fixed.webhookSecret).join("\n")}\n`);
		process.stdout.write("\n");
	} catch (error) {
		process.stderr.write(`--fix failed: ${(error as Error).message}\n`);
		process.exitCode = 1;
	}
}

const health = await get(`${args.url}/api/health`);
const admin =
	health.kind === "error" ? "skipped" : args.token ? await get(`${args.url}/api/admin/health`, args.token) : "no-token";
const tty = process.stdout.isTTY === true && !process.env.NO_COLOR;
const report = formatDoctorReport({ url: args.url, health, admin }, { tty });
process.stdout.write(`${report.lines.join("\n")}\n`);
process.exitCode = report.exitCode;
