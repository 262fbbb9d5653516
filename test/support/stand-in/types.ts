// Shapes shared by the stand-in's parts.

export type Json = Record<string, unknown>;

export interface RecordedRequest {
	method: string;
	path: string;
	query: Record<string, string>;
	headers: Record<string, string>;
	form: Record<string, string>;
	json: unknown;
	/** The raw body, for comparing a replayed idempotent request with the first. */
	text: string;
	key: string;
	at: number;
}

export interface Answer {
	status: number;
	body: unknown;
	headers?: Record<string, string>;
}

/** Requests per second per key, over a sliding one-second window. */
export class RateWindow {
	private readonly hits = new Map<string, number[]>();

	/** Counts this request; false when it is over `perSecond`. */
	allow(key: string, perSecond: number, now = Date.now()): boolean {
		const recent = (this.hits.get(key) ?? []).filter((t) => t > now - 1000);
		if (recent.length >= perSecond) {
			this.hits.set(key, recent);
			return false;
		}
		recent.push(now);
		this.hits.set(key, recent);
		return true;
	}
}
