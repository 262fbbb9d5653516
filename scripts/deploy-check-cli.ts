// `npm run check:deploy [-- --strict]`: checks what a deploy ships (wrangler.toml's
// top level) and bundles it with `wrangler deploy --dry-run`, without deploying. CI runs it;
// `npm run deploy` runs it with --strict, which also refuses template values.
import { checkProductionConfig, dryRunBundle, MAX_BUNDLE_GZIP_BYTES } from "./deploy-check.ts";

const strict = process.argv.includes("--strict");
const report = checkProductionConfig("wrangler.toml");
for (const error of report.errors) process.stdout.write(`FAIL  ${error}\n`);
for (const p of report.placeholders) process.stdout.write(`${strict ? "FAIL" : "todo"}  ${p} still holds REPLACE_ME\n`);

const bundle = dryRunBundle(process.cwd());
if (!bundle.ok) process.stdout.write(`FAIL  wrangler deploy --dry-run failed:\n${bundle.output}\n`);
const kib = (bundle.gzipBytes / 1024).toFixed(1);
const tooBig = bundle.gzipBytes > MAX_BUNDLE_GZIP_BYTES;
process.stdout.write(
	`${tooBig ? "FAIL" : "ok  "}  bundle ${kib} KiB gzip (limit ${MAX_BUNDLE_GZIP_BYTES / 1024} KiB): ${bundle.files.join(", ")}\n`,
);

const failed = report.errors.length > 0 || !bundle.ok || tooBig || (strict && report.placeholders.length > 0);
process.stdout.write(failed ? "Production deploy check failed.\n" : "Production deploy check passed.\n");
process.exit(failed ? 1 : 0);
