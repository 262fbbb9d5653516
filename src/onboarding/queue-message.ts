// The one queue message type, shared by the producers (webhook, status sync,
// reconciler, ops retry, link requests), the consumer and the tests.
import { LINK_PURPOSES, type LinkPurpose } from "../rules/set-password-links";

export interface ProvisionMessage {
	type: "provision";
	jobId: string;
	clientId: string;
	/** A send slot reserved when the message was deferred for the mail provider's rate. */
	slotAt?: number;
}

/** A set-password link someone asked for; the consumer finds the login by email. */
export interface LinkMessage {
	type: "link";
	purpose: Exclude<LinkPurpose, "welcome">;
	email: string;
	/** One per request: the email's idempotency key, so redelivery never sends it twice. */
	requestId: string;
	slotAt?: number;
}

export type QueueMessage = ProvisionMessage | LinkMessage;

export type ProvisioningQueue = Queue<QueueMessage>;

export function provisionMessage(jobId: string, clientId: string): ProvisionMessage {
	return { type: "provision", jobId, clientId };
}

export function linkMessage(purpose: LinkMessage["purpose"], email: string): LinkMessage {
	return { type: "link", purpose, email, requestId: crypto.randomUUID() };
}

/** The queue delivers whatever was sent, including by older versions: check before trusting. */
export function parseQueueMessage(body: unknown): QueueMessage | null {
	if (!body || typeof body !== "object") return null;
	const b = body as Record<string, unknown>;
	const slotAt = typeof b.slotAt === "number" ? b.slotAt : undefined;
	if (b.type === "provision" && typeof b.jobId === "string" && typeof b.clientId === "string") {
		return { type: "provision", jobId: b.jobId, clientId: b.clientId, slotAt };
	}
	const purpose = LINK_PURPOSES.find((p): p is LinkMessage["purpose"] => p !== "welcome" && p === b.purpose);
	if (b.type === "link" && purpose && typeof b.email === "string" && typeof b.requestId === "string") {
		return { type: "link", purpose, email: b.email, requestId: b.requestId, slotAt };
	}
	return null;
}
