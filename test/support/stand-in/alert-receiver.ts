// A stand-in for the operator's chat, where alerts go: Slack's and Discord's
// incoming webhooks at /alerts/slack/<name> and /alerts/discord/<name>, each
// as strict as the real one about its body (Slack needs `text`, answers 200
// "ok"; Discord needs `content` of at most 2,000 characters, answers 204), and
// down when told (a status for the next N messages). Each name is its own
// channel, so tests never see each other's messages.
// https://api.slack.com/messaging/webhooks, https://discord.com/developers/docs/resources/webhook
import type { Answer, RecordedRequest } from "./types.ts";

interface Channel {
	messages: { text: string; at: number }[];
	failing: { status: number; times: number } | null;
}

export function createAlertReceiverStandIn() {
	const channels = new Map<string, Channel>();
	const channel = (name: string) => {
		let c = channels.get(name);
		if (!c) {
			c = { messages: [], failing: null };
			channels.set(name, c);
		}
		return c;
	};
	return {
		handles: (r: RecordedRequest) => /^\/alerts\/(slack|discord)\/[^/]+$/.test(r.path),
		receive(r: RecordedRequest): Answer {
			const [, , kind, name = ""] = r.path.split("/");
			const c = channel(name);
			if (c.failing && c.failing.times > 0) {
				c.failing.times--;
				return { status: c.failing.status, body: "unavailable" };
			}
			const body = (typeof r.json === "object" && r.json !== null ? r.json : {}) as Record<string, unknown>;
			if (kind === "slack") {
				if (typeof body.text !== "string" || body.text === "") return { status: 400, body: "invalid_payload" };
				c.messages.push({ text: body.text, at: Date.now() });
				return { status: 200, body: "ok", headers: { "content-type": "text/plain" } };
			}
			if (typeof body.content !== "string" || body.content === "")
				return { status: 400, body: { message: "Cannot send an empty message", code: 50006 } };
			if (body.content.length > 2000) return { status: 400, body: { message: "Invalid Form Body", code: 50035 } };
			c.messages.push({ text: body.content, at: Date.now() });
			return { status: 204, body: null };
		},
		/** `{name, fail: {status, times}}` */
		configure(body: Record<string, unknown>) {
			const fail = body.fail as { status?: number; times?: number } | undefined;
			if (fail) channel(String(body.name)).failing = { status: fail.status ?? 500, times: fail.times ?? 1 };
		},
		messages: (name: string) => channel(name).messages,
	};
}
