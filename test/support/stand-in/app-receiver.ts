// A stand-in for the operator's own app receiving our Standard Webhooks, at
// /app/<name>: it records every delivery as it arrived (raw body and headers,
// for verifying with the official library) and answers as told: a status for
// the next N deliveries, a slow answer, or a large body. Each name is its own
// receiver, so tests never see each other's deliveries.
import type { Answer, RecordedRequest } from "./types.ts";

interface Receiver {
	deliveries: { headers: Record<string, string>; body: string; at: number }[];
	/** Answer this status to the next `times` deliveries, then 204. */
	failing: { status: number; times: number; body: string } | null;
	delayMs: number;
}

export function createAppReceiverStandIn() {
	const receivers = new Map<string, Receiver>();
	const receiver = (name: string) => {
		let r = receivers.get(name);
		if (!r) {
			r = { deliveries: [], failing: null, delayMs: 0 };
			receivers.set(name, r);
		}
		return r;
	};
	return {
		handles: (r: RecordedRequest) => r.path.startsWith("/app/"),
		async receive(r: RecordedRequest): Promise<Answer & { raw?: string }> {
			const app = receiver(r.path.slice("/app/".length));
			app.deliveries.push({ headers: r.headers, body: r.text, at: Date.now() });
			if (app.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, app.delayMs));
			if (app.failing && app.failing.times > 0) {
				app.failing.times--;
				return { status: app.failing.status, body: app.failing.body };
			}
			return { status: 204, body: null };
		},
		/** `{name, fail?: {status, times, body?}, delayMs?}` */
		configure(body: Record<string, unknown>) {
			const app = receiver(String(body.name));
			const fail = body.fail as { status?: number; times?: number; body?: string } | undefined;
			if (fail)
				app.failing = { status: fail.status ?? 500, times: fail.times ?? 1, body: fail.body ?? "receiver failed" };
			if (typeof body.delayMs === "number") app.delayMs = body.delayMs;
		},
		deliveries: (name: string) => receiver(name).deliveries,
	};
}
