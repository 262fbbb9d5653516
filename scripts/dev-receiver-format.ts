// The pure half of `npm run dev:receiver`: the one line printed per verified
// delivery or refused request, the development secret's shape, the port, and
// the command that points `npm run dev` at the receiver. No I/O here.

export const DEFAULT_PORT = 8788;
const KEY_BYTES = 32;

export interface Delivery {
	/** webhook-id: the same on every retry of one message. */
	id: string;
	/** The verified, parsed body: `{type, timestamp, data}`. */
	payload: unknown;
}

function field(value: unknown, key: string): unknown {
	return value && typeof value === "object" && !Array.isArray(value)
		? (value as Record<string, unknown>)[key]
		: undefined;
}

/** A field as one printable token: a sender's text cannot break the line or forge another one. */
function token(value: unknown): string {
	if (typeof value !== "string" || value === "") return "-";
	return value.replace(/[^\x21-\x7e]/g, "?").slice(0, 80);
}

function clock(at: Date): string {
	return at.toISOString().slice(11, 23);
}

/** `HH:MM:SS.mmm type id crn access`, with the previous access when the event says what changed. */
export function formatDelivery(delivery: Delivery, at: Date): string {
	const data = field(delivery.payload, "data");
	const previous = field(data, "previous_access");
	const access = `access=${token(field(data, "access"))}${typeof previous === "string" ? ` (was ${token(previous)})` : ""}`;
	return [
		clock(at),
		token(field(delivery.payload, "type")),
		`id=${token(delivery.id)}`,
		`crn=${token(field(data, "crn"))}`,
		access,
	].join(" ");
}

/** The warning for a request that failed verification; `reason` is the library's message. */
export function formatRejection(id: string | undefined, reason: string, at: Date): string {
	return `${clock(at)} REFUSED id=${token(id)} ${token(reason.replace(/\s+/g, "_"))}: the signature does not verify with this receiver's secret`;
}

/** A Standard Webhooks secret from random bytes: `whsec_` + base64 of 32 bytes. */
export function devSecretFrom(bytes: Uint8Array): string {
	if (bytes.length !== KEY_BYTES) throw new Error(`a development secret needs ${KEY_BYTES} random bytes`);
	return `whsec_${Buffer.from(bytes).toString("base64")}`;
}

/** PORT, or 8788 when unset. */
export function parsePort(raw: string | undefined): number {
	if (raw === undefined || raw.trim() === "") return DEFAULT_PORT;
	const port = Number(raw);
	if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`PORT "${raw}" is not a port number`);
	return port;
}

/** What to run so the local worker delivers here. */
export function devCommand(port: number, secret: string): string {
	return `npm run dev -- --var APP_WEBHOOK_URL:http://127.0.0.1:${port} --var APP_WEBHOOK_SECRET:${secret}`;
}
