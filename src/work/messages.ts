// What the work queue carries: one message type per kind of work, shared by the
// producers (webhook, status sync, reconciler, operator actions, link requests),
// the consumer's dispatch table (src/work/handlers.ts) and the tests.
import { LINK_PURPOSES, type LinkPurpose } from "../rules/links";

/** Each kind of work and the fields its message carries besides `type`. */
interface WorkPayloads {
	/** Provision a paid client: the login, a set-password link, the welcome email. */
	provision: {
		jobId: string;
		clientId: string;
		/** A send slot reserved when the message was deferred for the mail provider's rate. */
		slotAt?: number;
	};
	/** A set-password link someone asked for; the consumer finds the login by email. */
	link: {
		purpose: Exclude<LinkPurpose, "welcome">;
		email: string;
		/** One per request: the email's idempotency key, so redelivery never sends it twice. */
		requestId: string;
		slotAt?: number;
	};
	/** An email about a plan's money: a failed renewal, a payment to confirm, a trial ending. */
	notice: {
		kind: NoticeKind;
		clientId: string;
		/** The email's idempotency key: one per failed attempt, invoice or trial. */
		key: string;
		/** Stripe's hosted invoice page, for a failed or unconfirmed payment. */
		url?: string;
		trialEndsAt?: number;
		/** The event's time (epoch seconds): a later paid invoice makes the notice moot. */
		eventAt: number;
		slotAt?: number;
	};
	/** A subscription made outside Checkout for a plan we sell: make its client and onboard its customer. */
	adopt: {
		subscriptionId: string;
		customerId: string;
		planCode: string;
	};
	/** A plan's access may have changed: tell the operator's app if it did. */
	app_sync: { clientId: string };
	/** One attempt of a delivery to the operator's app. */
	app_webhook: { deliveryId: string };
}

export const NOTICE_KINDS = ["payment_failed", "confirm_payment", "trial_ending"] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

export type WorkType = keyof WorkPayloads;
// A message as a map over its types (rather than a plain union) lets the
// dispatch table be indexed by `message.type` and stay typed.
export type WorkOf<T extends WorkType> = { type: T } & WorkPayloads[T];
export type WorkMessage = { [T in WorkType]: WorkOf<T> }[WorkType];
export type ProvisionMessage = WorkOf<"provision">;
export type LinkMessage = WorkOf<"link">;

export type WorkQueue = Queue<WorkMessage>;

export function provisionMessage(jobId: string, clientId: string): ProvisionMessage {
	return { type: "provision", jobId, clientId };
}

export function linkMessage(purpose: LinkMessage["purpose"], email: string): LinkMessage {
	return { type: "link", purpose, email, requestId: crypto.randomUUID() };
}

/** The same message with a reserved send slot: still a message of its own type. */
export function withSlot<T extends WorkType>(message: WorkOf<T>, slotAt: number): WorkMessage {
	// Spreading a generic loses the link between `type` and its payload; the value is `message` plus one optional field.
	return { ...message, slotAt } as WorkMessage;
}

type Fields = Record<string, unknown>;

// The queue delivers whatever was sent, including by older versions: each type
// checks its own fields before the message is trusted.
const PARSERS: { [T in WorkType]: (b: Fields, slotAt: number | undefined) => WorkOf<T> | null } = {
	provision: (b, slotAt) =>
		typeof b.jobId === "string" && typeof b.clientId === "string"
			? { type: "provision", jobId: b.jobId, clientId: b.clientId, slotAt }
			: null,
	link: (b, slotAt) => {
		const purpose = LINK_PURPOSES.find((p): p is LinkMessage["purpose"] => p !== "welcome" && p === b.purpose);
		return purpose && typeof b.email === "string" && typeof b.requestId === "string"
			? { type: "link", purpose, email: b.email, requestId: b.requestId, slotAt }
			: null;
	},
	notice: (b, slotAt) => {
		const kind = NOTICE_KINDS.find((k) => k === b.kind);
		if (!kind || typeof b.clientId !== "string" || typeof b.key !== "string" || typeof b.eventAt !== "number") {
			return null;
		}
		return {
			type: "notice",
			kind,
			clientId: b.clientId,
			key: b.key,
			url: typeof b.url === "string" ? b.url : undefined,
			trialEndsAt: typeof b.trialEndsAt === "number" ? b.trialEndsAt : undefined,
			eventAt: b.eventAt,
			slotAt,
		};
	},
	app_sync: (b) => (typeof b.clientId === "string" ? { type: "app_sync", clientId: b.clientId } : null),
	app_webhook: (b) => (typeof b.deliveryId === "string" ? { type: "app_webhook", deliveryId: b.deliveryId } : null),
	adopt: (b) =>
		typeof b.subscriptionId === "string" && typeof b.customerId === "string" && typeof b.planCode === "string"
			? { type: "adopt", subscriptionId: b.subscriptionId, customerId: b.customerId, planCode: b.planCode }
			: null,
};

function isWorkType(type: unknown): type is WorkType {
	return typeof type === "string" && Object.hasOwn(PARSERS, type);
}

export function parseWorkMessage(body: unknown): WorkMessage | null {
	if (!body || typeof body !== "object") return null;
	const b = body as Fields;
	if (!isWorkType(b.type)) return null;
	const slotAt = typeof b.slotAt === "number" ? b.slotAt : undefined;
	return PARSERS[b.type](b, slotAt);
}
