// The one queue message type: shared by the producers (webhook, status sync,
// reconciler, ops retry), the consumer and the tests.

export interface ProvisionMessage {
	type: "provision";
	jobId: string;
	clientId: string;
}

export type ProvisioningQueue = Queue<ProvisionMessage>;

export function provisionMessage(jobId: string, clientId: string): ProvisionMessage {
	return { type: "provision", jobId, clientId };
}

export function isProvisionMessage(body: unknown): body is ProvisionMessage {
	const b = body as Partial<ProvisionMessage> | null;
	return !!b && b.type === "provision" && typeof b.jobId === "string" && typeof b.clientId === "string";
}
