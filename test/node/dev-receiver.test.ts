// `npm run dev:receiver`'s pure half: one line per delivery, the refusal
// warning, the development secret (which the official library must accept),
// the port and the command it prints.
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
	DEFAULT_PORT,
	devCommand,
	devSecretFrom,
	formatDelivery,
	formatRejection,
	parsePort,
} from "../../scripts/dev-receiver-format";
import { parseWebhookSecret, signStandardWebhook } from "../../src/app-webhooks/signature";

const at = new Date("2026-11-20T09:08:07.654Z");

describe("dev receiver lines", () => {
	it("prints time, type, id, CRN and access of a delivery", () => {
		const payload = {
			type: "customer.onboarded",
			timestamp: "2026-11-20T09:08:07.000Z",
			data: { crn: "CRN-ABCD-2345", email: "ada@example.com", access: "active", reason: "paid" },
		};
		expect(formatDelivery({ id: "msg_1", payload }, at)).toBe(
			"09:08:07.654 customer.onboarded id=msg_1 crn=CRN-ABCD-2345 access=active",
		);
	});

	it("shows what the access was before an access.changed", () => {
		const payload = {
			type: "access.changed",
			data: { crn: "CRN-WXYZ-6789", access: "past_due", previous_access: "active" },
		};
		expect(formatDelivery({ id: "msg_2", payload }, at)).toBe(
			"09:08:07.654 access.changed id=msg_2 crn=CRN-WXYZ-6789 access=past_due (was active)",
		);
	});

	it("keeps a payload of another shape on one line", () => {
		expect(formatDelivery({ id: "msg_3", payload: [1, 2] }, at)).toBe("09:08:07.654 - id=msg_3 crn=- access=-");
		const forged = { type: "x\nFORGED line", data: { crn: "CRN-1\r\n", access: 5 } };
		const line = formatDelivery({ id: "msg\n4", payload: forged }, at);
		expect(line).not.toMatch(/[\r\n]/);
		expect(line).toBe("09:08:07.654 x?FORGED?line id=msg?4 crn=CRN-1?? access=-");
	});

	it("warns about a refused request", () => {
		expect(formatRejection("msg_5", "No matching signature found", at)).toBe(
			"09:08:07.654 REFUSED id=msg_5 No_matching_signature_found: the signature does not verify with this receiver's secret",
		);
		expect(formatRejection(undefined, "Missing required headers", at)).toContain("REFUSED id=- ");
	});
});

describe("dev receiver secret and command", () => {
	it("makes a secret our signer and the official library both accept", async () => {
		const secret = devSecretFrom(new Uint8Array(32).fill(7));
		expect(secret).toBe(`whsec_${Buffer.alloc(32, 7).toString("base64")}`);
		expect(parseWebhookSecret(secret)).not.toBeNull();
		const body = '{"type":"access.changed","data":{}}';
		const headers = await signStandardWebhook({ id: "msg_6", timestamp: Math.floor(Date.now() / 1000), body, secret });
		expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
		expect(() => devSecretFrom(new Uint8Array(16))).toThrow();
	});

	it("listens on 8788 unless PORT says otherwise", () => {
		expect(parsePort(undefined)).toBe(DEFAULT_PORT);
		expect(DEFAULT_PORT).toBe(8788);
		expect(parsePort(" ")).toBe(8788);
		expect(parsePort("9000")).toBe(9000);
		for (const bad of ["0", "65536", "80.5", "http"]) expect(() => parsePort(bad)).toThrow(/PORT/);
	});

	it("tells how to start the worker against it", () => {
		expect(devCommand(8788, "whsec_abc")).toBe(
			"npm run dev -- --var APP_WEBHOOK_URL:http://127.0.0.1:8788 --var APP_WEBHOOK_SECRET:whsec_abc",
		);
	});
});
