// One HTTP request on a keep-alive agent, timed: what every bench phase and
// simulated customer sends to a worker on loopback.
import http from "node:http";

export interface LoadRequest {
	method: "GET" | "POST";
	/** Path and query, sent to the target origin. */
	path: string;
	headers?: Record<string, string>;
	body?: string;
}

export interface HttpResponse {
	status: number;
	body: string;
	ms: number;
}

/** One request on the given agent; rejects on socket error or timeout. */
export function httpRequest(
	origin: string,
	req: LoadRequest,
	agent: http.Agent | undefined,
	timeoutMs = 10_000,
): Promise<HttpResponse> {
	const url = new URL(req.path, origin);
	const headers: Record<string, string | number> = { ...req.headers };
	if (req.body !== undefined) headers["content-length"] = Buffer.byteLength(req.body);
	const start = performance.now();
	return new Promise((resolve, reject) => {
		const r = http.request(
			{
				host: url.hostname,
				port: url.port,
				path: url.pathname + url.search,
				method: req.method,
				headers,
				agent,
				timeout: timeoutMs,
			},
			(res) => {
				const chunks: Buffer[] = [];
				res.on("data", (c: Buffer) => chunks.push(c));
				res.on("end", () =>
					resolve({
						status: res.statusCode ?? 0,
						body: Buffer.concat(chunks).toString("utf8"),
						ms: performance.now() - start,
					}),
				);
				res.on("error", reject);
			},
		);
		r.on("timeout", () => r.destroy(new Error(`request timed out after ${timeoutMs} ms: ${req.method} ${req.path}`)));
		r.on("error", reject);
		if (req.body !== undefined) r.write(req.body);
		r.end();
	});
}
