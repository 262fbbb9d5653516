// `npm run dev:receiver`: a local stand-in for the operator's app. It verifies
// each POST with the official `standardwebhooks` library, as a real app would,
// prints one line per delivery and answers 204; a bad signature gets 400.
// Formatting lives in dev-receiver-format.ts.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import { fileURLToPath } from "node:url";
import { Webhook } from "standardwebhooks";
import { devCommand, devSecretFrom, formatDelivery, formatRejection, parsePort } from "./dev-receiver-format.ts";

const HOST = "127.0.0.1";
// Deliveries are small JSON events; a larger body is not one of ours.
const MAX_BODY_BYTES = 64 * 1024;
// Kept under .wrangler/ (ignored by git), so a restarted receiver keeps the secret the worker was started with.
const SECRET_FILE = fileURLToPath(new URL("../.wrangler/dev-receiver-secret", import.meta.url));

function devSecret(): { secret: string; fromEnv: boolean } {
	const fromEnv = process.env.APP_WEBHOOK_SECRET?.trim();
	if (fromEnv) return { secret: fromEnv, fromEnv: true };
	if (existsSync(SECRET_FILE)) return { secret: readFileSync(SECRET_FILE, "utf8").trim(), fromEnv: false };
	const secret = devSecretFrom(randomBytes(32));
	mkdirSync(fileURLToPath(new URL("../.wrangler/", import.meta.url)), { recursive: true });
	writeFileSync(SECRET_FILE, `${secret}\n`, { mode: 0o600 });
	return { secret, fromEnv: false };
}

function readBody(req: IncomingMessage): Promise<string | null> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		req.on("data", (chunk: Buffer) => {
			size += chunk.length;
			if (size > MAX_BODY_BYTES) {
				resolve(null);
				req.destroy();
			} else chunks.push(chunk);
		});
		req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
		req.on("error", reject);
	});
}

function header(req: IncomingMessage, name: string): string {
	const value = req.headers[name];
	return Array.isArray(value) ? (value[0] ?? "") : (value ?? "");
}

let port: number;
try {
	port = parsePort(process.env.PORT);
} catch (error) {
	process.stderr.write(`${(error as Error).message}\n`);
	process.exit(2);
}

const { secret, fromEnv } = devSecret();
let webhook: Webhook;
try {
	webhook = new Webhook(secret);
} catch (error) {
	process.stderr.write(`APP_WEBHOOK_SECRET is not a whsec_ secret: ${(error as Error).message}\n`);
	process.exit(2);
}

const server = createServer(async (req, res) => {
	if (req.method !== "POST") {
		res.writeHead(405, { allow: "POST" }).end();
		return;
	}
	// A sender that hangs up mid-body has nothing to verify.
	const body = await readBody(req).catch(() => null);
	if (body === null) {
		res.writeHead(413).end();
		return;
	}
	const headers = {
		"webhook-id": header(req, "webhook-id"),
		"webhook-timestamp": header(req, "webhook-timestamp"),
		"webhook-signature": header(req, "webhook-signature"),
	};
	try {
		const payload = webhook.verify(body, headers);
		process.stdout.write(`${formatDelivery({ id: headers["webhook-id"], payload }, new Date())}\n`);
		res.writeHead(204).end();
	} catch (error) {
		process.stderr.write(
			`${formatRejection(headers["webhook-id"] || undefined, (error as Error).message, new Date())}\n`,
		);
		res.writeHead(400, { "content-type": "text/plain" }).end("signature verification failed\n");
	}
});

server.on("error", (error) => {
	process.stderr.write(`could not listen on ${HOST}:${port}: ${error.message}\n`);
	process.exit(1);
});

server.listen(port, HOST, () => {
	process.stdout.write(`Receiving Standard Webhooks on http://${HOST}:${port}\n`);
	process.stdout.write(
		fromEnv
			? "Verifying with APP_WEBHOOK_SECRET from the environment. Start the worker with the same secret:\n"
			: `Verifying with the development secret in .wrangler/dev-receiver-secret. Start the worker with:\n`,
	);
	// A secret from the environment stays out of the terminal's scrollback.
	process.stdout.write(`  ${devCommand(port, fromEnv ? '"$APP_WEBHOOK_SECRET"' : secret)}\n\n`);
});
