// `npm run stripe:setup [-- --dry-run] [--file stripe/plans.json]`: creates or updates the products, prices
// (by lookup_key) and the webhook endpoint this service needs, with STRIPE_SECRET_KEY and APP_URL from the
// environment (STRIPE_API_BASE points it at a stand-in). Run it again: it changes nothing and says so.
import { readFile } from "node:fs/promises";
import { parsePlansFile } from "./stripe-setup-plan.ts";
import { runStripeSetup, secretInstructions } from "./stripe-setup-run.ts";

const USAGE = `usage: STRIPE_SECRET_KEY=sk_test_… APP_URL=https://your.host npm run stripe:setup [-- --dry-run] [--file stripe/plans.json]`;

const argv = process.argv.slice(2);
const dryRun = argv.includes("--dry-run");
const fileAt = argv.indexOf("--file");
const path = fileAt >= 0 ? argv[fileAt + 1] : "stripe/plans.json";
const key = process.env.STRIPE_SECRET_KEY ?? "";
const appUrl = (process.env.APP_URL ?? "").replace(/\/+$/, "");

if (argv.includes("--help") || !path || !/^(sk|rk)_(test|live)_/.test(key) || !/^https?:\/\/[^/]+$/.test(appUrl)) {
	process.stderr.write(`${USAGE}\n(STRIPE_SECRET_KEY must be an sk_ or rk_ key; APP_URL the deployment's origin)\n`);
	process.exit(2);
}

const parsed = parsePlansFile(JSON.parse(await readFile(path, "utf8")));
if (!parsed.ok) {
	process.stderr.write(
		`${path} has mistakes; nothing was sent to Stripe:\n${parsed.errors.map((e) => `  ${e}`).join("\n")}\n`,
	);
	process.exit(1);
}

try {
	const report = await runStripeSetup(
		{ key, appUrl, base: process.env.STRIPE_API_BASE || "https://api.stripe.com" },
		parsed.file,
		{ dryRun },
	);
	const mode = key.includes("_live_") ? "live" : "test";
	process.stdout.write(`Stripe (${mode} mode), ${path}, endpoint for ${appUrl}:\n${report.lines.join("\n")}\n`);
	if (report.webhookSecret) process.stdout.write(`${secretInstructions(key, report.webhookSecret).join("\n")}\n`);
	process.stdout.write(
		`\nPLANS for wrangler.toml (the same in test and live mode):\nPLANS = '${JSON.stringify(parsed.file.plans)}'\n`,
	);
} catch (error) {
	process.stderr.write(`${(error as Error).message}\n`);
	process.exit(1);
}
