// A stand-in for the Stripe API on loopback: creates Checkout Sessions and
// answers 404 to everything else. Only what POST /api/checkout needs.
import { randomBytes } from "node:crypto";
import http from "node:http";

export interface StripeStub {
	url: string;
	/** Requests seen, by "METHOD path" (path without query). */
	seen: Map<string, number>;
	close(): Promise<void>;
}

function notFound(res: http.ServerResponse, method: string, path: string) {
	res.writeHead(404, { "content-type": "application/json" });
	res.end(
		JSON.stringify({
			error: {
				type: "invalid_request_error",
				code: "resource_missing",
				message: `Unrecognized request URL (${method}: ${path}).`,
			},
		}),
	);
}

export function startStripeStub(port: number): Promise<StripeStub> {
	const seen = new Map<string, number>();
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", () => {
			const method = req.method ?? "GET";
			const path = (req.url ?? "/").split("?")[0] as string;
			const key = `${method} ${path}`;
			seen.set(key, (seen.get(key) ?? 0) + 1);
			if (method !== "POST" || path !== "/v1/checkout/sessions") return notFound(res, method, path);

			const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
			const metadata: Record<string, string> = {};
			for (const [k, v] of form) {
				const m = /^metadata\[([^\]]+)\]$/.exec(k);
				if (m) metadata[m[1] as string] = v;
			}
			const id = `cs_test_${randomBytes(12).toString("hex")}`;
			res.writeHead(200, { "content-type": "application/json" });
			res.end(
				JSON.stringify({
					id,
					object: "checkout.session",
					url: `https://checkout.stripe.test/${id}`,
					status: "open",
					payment_status: "unpaid",
					livemode: false,
					client_reference_id: form.get("client_reference_id"),
					metadata,
				}),
			);
		});
	});
	server.keepAliveTimeout = 30_000;
	return new Promise((resolve, reject) => {
		server.on("error", reject);
		server.listen(port, "127.0.0.1", () => {
			resolve({
				url: `http://127.0.0.1:${port}`,
				seen,
				close: () =>
					new Promise<void>((r) => {
						server.closeAllConnections();
						server.close(() => r());
					}),
			});
		});
	});
}
