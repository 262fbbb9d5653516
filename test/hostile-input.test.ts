import { afterEach, describe, expect, it, vi } from "vitest";
import { clientAddressKey } from "../src/rate-limit";
import { MAX_JSON_BODY_BYTES } from "../src/request-guards";
import { MAX_WEBHOOK_BYTES } from "../src/rules/stripe-endpoint";
import { MAX_HEADER_BYTES, MAX_SIGNATURES, signStripePayload, verifyStripeSignature } from "../src/stripe/signature";
import {
	ADMIN_TOKEN,
	adminApi,
	api,
	captureLogs,
	checkoutCompleted,
	countOf,
	createClient,
	nowSeconds,
	outboxToken,
	paidClient,
	payloadOf,
	postWebhook,
	signatureFor,
	standInRequests,
	uniqueId,
} from "./support/helpers";

/** The origin of every request `api()` builds (http://worker/…): what a same-origin page sends. */
const SAME_ORIGIN = "http://worker";

afterEach(() => {
	vi.restoreAllMocks();
});

function randomHex(bytes = 32): string {
	return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A fresh client's signed checkout.session.completed, with its `t=` and valid `v1=` parts apart. */
async function signedEvent() {
	const client = await createClient();
	const event = checkoutCompleted(client);
	const payload = payloadOf(event);
	const [t = "", v1 = ""] = (await signatureFor(payload)).split(",");
	return { event, payload, t, v1 };
}

const bogusV1 = (n: number) => Array.from({ length: n }, () => `v1=${randomHex()}`);

async function expectJsonError(response: Response, status: number, error: string) {
	expect(response.status).toBe(status);
	expect(response.headers.get("content-type")).toMatch(/^application\/json/);
	expect(await response.json()).toEqual({ error, message: expect.any(String) });
}

describe("Stripe-Signature work is bounded", () => {
	it("refuses more than MAX_SIGNATURES v1 entries even when one of them is valid", async () => {
		for (const place of ["first", "last"] as const) {
			const { event, payload, t, v1 } = await signedEvent();
			const entries = place === "first" ? [v1, ...bogusV1(MAX_SIGNATURES)] : [...bogusV1(MAX_SIGNATURES), v1];
			const logs = captureLogs();
			const response = await postWebhook(payload, { signature: [t, ...entries].join(",") });
			logs.restore();
			await expectJsonError(response, 400, "invalid_signature");
			expect(logs.events("WEBHOOK_SIGNATURE_INVALID")).toEqual([
				expect.objectContaining({ reason: "header_too_large" }),
			]);
			expect(await countOf("webhook_events", { id: event.id })).toBe(0);
		}
	});

	it("refuses a header longer than 4 KiB that carries the valid signature", async () => {
		const { event, payload, t, v1 } = await signedEvent();
		const legacy = Array.from({ length: 64 }, () => `v0=${randomHex()}`);
		const header = [t, v1, ...legacy].join(",");
		expect(header.length).toBeGreaterThan(MAX_HEADER_BYTES);
		const logs = captureLogs();
		const response = await postWebhook(payload, { signature: header });
		logs.restore();
		await expectJsonError(response, 400, "invalid_signature");
		expect(logs.events("WEBHOOK_SIGNATURE_INVALID")[0]).toMatchObject({ reason: "header_too_large" });
		expect(await countOf("webhook_events", { id: event.id })).toBe(0);
	});

	it("accepts a header of exactly 4 KiB", async () => {
		const { payload, t, v1 } = await signedEvent();
		const start = `${t},${v1},x=`;
		const header = start + "a".repeat(MAX_HEADER_BYTES - start.length);
		expect(header.length).toBe(MAX_HEADER_BYTES);
		expect((await postWebhook(payload, { signature: header })).status).toBe(200);
	});

	it("accepts eight entries with the valid one last", async () => {
		const { event, payload, t, v1 } = await signedEvent();
		const response = await postWebhook(payload, { signature: [t, ...bogusV1(MAX_SIGNATURES - 1), v1].join(",") });
		expect(response.status).toBe(200);
		expect(await countOf("webhook_events", { id: event.id })).toBe(1);
	});

	it("computes the expected MAC once per secret, not once per candidate", async () => {
		const body = new TextEncoder().encode('{"id":"evt_bounded"}');
		const now = nowSeconds();
		const secrets = ["whsec_boundedOne000000000000000", "whsec_boundedTwo000000000000000"];
		const header = [`t=${now}`, ...bogusV1(MAX_SIGNATURES)].join(",");
		const sign = vi.spyOn(crypto.subtle, "sign");
		const verify = vi.spyOn(crypto.subtle, "verify");
		expect(await verifyStripeSignature(body, header, secrets, now)).toEqual({ ok: false, reason: "mismatch" });
		expect(sign).toHaveBeenCalledTimes(2);
		expect(verify).not.toHaveBeenCalled();
	});

	it("matches the second secret's MAC among eight candidates with two MAC computations", async () => {
		const payload = '{"id":"evt_bounded_match"}';
		const now = nowSeconds();
		const secrets = ["whsec_boundedOld000000000000000", "whsec_boundedNew000000000000000"];
		const valid = (await signStripePayload(payload, secrets[1] ?? "", now)).split(",")[1];
		const header = [`t=${now}`, ...bogusV1(MAX_SIGNATURES - 1), valid].join(",");
		const sign = vi.spyOn(crypto.subtle, "sign");
		const result = await verifyStripeSignature(new TextEncoder().encode(payload), header, secrets, now);
		expect(result).toEqual({ ok: true, slot: 1, timestamp: now });
		expect(sign).toHaveBeenCalledTimes(2);
	});

	it("computes no MAC at all for a header it refuses unparsed", async () => {
		const body = new TextEncoder().encode("{}");
		const now = nowSeconds();
		const sign = vi.spyOn(crypto.subtle, "sign");
		const tooMany = [`t=${now}`, ...bogusV1(MAX_SIGNATURES + 1)].join(",");
		const tooLong = `t=${now},${bogusV1(1)[0]},x=${"a".repeat(MAX_HEADER_BYTES)}`;
		for (const header of [tooMany, tooLong]) {
			expect(await verifyStripeSignature(body, header, ["whsec_boundedOne000000000000000"], now)).toEqual({
				ok: false,
				reason: "header_too_large",
			});
		}
		expect(sign).not.toHaveBeenCalled();
	});
});

/** Every JSON POST route, the field a hostile client inflates, and the headers it needs to get that far. */
const JSON_POST_ROUTES: Array<{ path: string; field: string; headers?: Record<string, string> }> = [
	{ path: "/api/checkout", field: "name" },
	{ path: "/api/portal/login", field: "email" },
	{ path: "/api/portal/password", field: "password" },
	{ path: "/api/portal/password-reset", field: "email" },
	{ path: "/api/portal/setup-link", field: "t" },
	{ path: "/api/portal/billing", field: "crn" },
	{ path: "/api/portal/logout", field: "padding" },
	{
		path: "/api/admin/clients/CRN-AAAA-BBBB/setup-link",
		field: "padding",
		headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
	},
];

/** A JSON object body of exactly `bytes` bytes (ASCII), or an empty body for 0. */
function bodyOfSize(bytes: number, field: string): string {
	if (bytes === 0) return "";
	const overhead = JSON.stringify({ [field]: "" }).length;
	return JSON.stringify({ [field]: "x".repeat(bytes - overhead) });
}

function postRaw(path: string, body: BodyInit, headers: Record<string, string> = {}) {
	return api(path, { method: "POST", body, headers: { origin: SAME_ORIGIN, ...headers } });
}

const postJson = (path: string, body: string, headers: Record<string, string> = {}) =>
	postRaw(path, body, { "content-type": "application/json", ...headers });

describe("JSON body cap", () => {
	it("answers 413 payload_too_large on every JSON POST route past 8 KiB", async () => {
		for (const route of JSON_POST_ROUTES) {
			const logs = captureLogs();
			const response = await postJson(route.path, bodyOfSize(MAX_JSON_BODY_BYTES + 1, route.field), route.headers);
			logs.restore();
			await expectJsonError(response, 413, "payload_too_large");
			expect(logs.events("REQUEST_REJECTED")[0]).toMatchObject({ reason: "payload_too_large", path: route.path });
		}
	});

	it("refuses a 3 MB email at login and keeps serving", async () => {
		const email = `${"a".repeat(3 * 1024 * 1024)}@example.com`;
		const response = await postJson("/api/portal/login", JSON.stringify({ email, password: "whatever it is 123" }));
		await expectJsonError(response, 413, "payload_too_large");
		expect(await (await api("/api/health")).json()).toEqual({ ok: true, mode: "test" });
		const other = await postJson(
			"/api/portal/login",
			JSON.stringify({ email: `${uniqueId("after")}@example.com`, password: "whatever it is 123" }),
		);
		await expectJsonError(other, 401, "invalid_credentials");
		await createClient();
	});

	it("gives no 500 for any body size, and 413 exactly past the cap", async () => {
		const sizes = [0, MAX_JSON_BODY_BYTES - 1, MAX_JSON_BODY_BYTES, MAX_JSON_BODY_BYTES + 1, 64 * 1024, 1024 * 1024];
		for (const route of JSON_POST_ROUTES) {
			for (const size of sizes) {
				const body = bodyOfSize(size, route.field);
				expect(body.length).toBe(size);
				const response = await postJson(route.path, body, route.headers);
				const seen = `${route.path} with ${size} bytes answered ${response.status}`;
				expect(response.status < 500, seen).toBe(true);
				expect(response.status === 413, seen).toBe(size > MAX_JSON_BODY_BYTES);
				expect(await response.json(), seen).toEqual(expect.any(Object));
			}
		}
	});

	it("keeps the webhook's own 1 MiB cap: a larger event is accepted, past 1 MiB is 413", async () => {
		const client = await createClient();
		const event = { ...checkoutCompleted(client), padding: "x".repeat(100 * 1024) };
		const payload = payloadOf(event);
		expect(payload.length).toBeGreaterThan(MAX_JSON_BODY_BYTES);
		expect((await postWebhook(payload)).status).toBe(200);
		expect(await countOf("webhook_events", { id: event.id })).toBe(1);

		const huge = payloadOf({ ...checkoutCompleted(client), padding: "x".repeat(MAX_WEBHOOK_BYTES) });
		const response = await postWebhook(huge, { signature: await signatureFor(huge) });
		await expectJsonError(response, 413, "payload_too_large");
	});
});

describe("JSON only, and no cross-site posts", () => {
	it("answers 415 to a same-origin text/plain or form body", async () => {
		const before = await countOf("clients");
		const email = `${uniqueId("plain")}@example.com`;
		const checkout = await postRaw("/api/checkout", JSON.stringify({ email, name: "P", plan_code: "starter" }), {
			"content-type": "text/plain;charset=UTF-8",
		});
		await expectJsonError(checkout, 415, "unsupported_media_type");
		const login = await postRaw("/api/portal/login", "email=a%40example.com&password=whatever+it+is+123", {
			"content-type": "application/x-www-form-urlencoded",
		});
		await expectJsonError(login, 415, "unsupported_media_type");
		const admin = await postRaw("/api/admin/clients/CRN-AAAA-BBBB/setup-link", "{}", {
			"content-type": "text/plain",
			authorization: `Bearer ${ADMIN_TOKEN}`,
		});
		await expectJsonError(admin, 415, "unsupported_media_type");
		expect(await countOf("clients")).toBe(before);
	});

	it("accepts JSON with a charset parameter", async () => {
		const response = await postRaw(
			"/api/checkout",
			JSON.stringify({ email: `${uniqueId("charset")}@example.com`, name: "C", plan_code: "starter" }),
			{ "content-type": "application/json; charset=utf-8" },
		);
		expect(response.status).toBe(200);
	});

	it("answers 403 cross_site_request to a form post from another site and creates nothing", async () => {
		const email = `${uniqueId("victim")}@example.com`;
		const before = await countOf("clients");
		const routes = [
			"/api/checkout",
			"/api/portal/login",
			"/api/portal/password",
			"/api/portal/password-reset",
			"/api/portal/setup-link",
			"/api/portal/billing",
			"/api/portal/logout",
		];
		const forms: Array<[string, BodyInit]> = [
			["text/plain", JSON.stringify({ email, name: "V", plan_code: "starter", password: "whatever it is 123" })],
			["application/x-www-form-urlencoded", `email=${encodeURIComponent(email)}&name=V&plan_code=starter`],
			[
				"multipart/form-data; boundary=x",
				`--x\r\nContent-Disposition: form-data; name="email"\r\n\r\n${email}\r\n--x--`,
			],
		];
		for (const path of routes) {
			for (const [type, body] of forms) {
				const logs = captureLogs();
				const response = await postRaw(path, body, { "content-type": type, origin: "https://evil.example" });
				logs.restore();
				await expectJsonError(response, 403, "cross_site_request");
				expect(logs.events("REQUEST_REJECTED")[0]).toMatchObject({ reason: "cross_site_request", path });
			}
			// No Origin, but the browser says cross-site; and a body with no content type at all.
			const fetchSite = await api(path, {
				method: "POST",
				body: "email=x",
				headers: { "content-type": "text/plain", "sec-fetch-site": "cross-site" },
			});
			await expectJsonError(fetchSite, 403, "cross_site_request");
			const untyped = await postRaw(path, new TextEncoder().encode(`{"email":"${email}"}`), {
				origin: "https://evil.example",
			});
			await expectJsonError(untyped, 403, "cross_site_request");
		}
		expect(await countOf("clients")).toBe(before);
		expect(await countOf("clients", { email })).toBe(0);
		expect(await standInRequests(email)).toEqual([]);
	});

	it("still accepts Stripe's application/json webhook without an Origin header", async () => {
		const { event, payload } = await signedEvent();
		const response = await postWebhook(payload);
		expect(response.status).toBe(200);
		expect(await countOf("webhook_events", { id: event.id })).toBe(1);
	});
});

/** A random /64 in the documentation prefix, and addresses inside it written in different forms. */
function randomPrefix64(): string {
	const [a = 0, b = 0] = crypto.getRandomValues(new Uint16Array(2));
	return `2001:db8:${a.toString(16)}:${b.toString(16)}`;
}

function randomIpv4(): string {
	const b = crypto.getRandomValues(new Uint8Array(3));
	return `100.${64 + ((b[0] ?? 0) % 64)}.${b[1]}.${b[2]}`;
}

const loginFrom = (ip: string, email: string, password = "not the password 123") =>
	api("/api/portal/login", {
		method: "POST",
		headers: { "cf-connecting-ip": ip },
		json: { email, password },
	});

describe("rate limit keys", () => {
	it("keeps an IPv4 address as it is", () => {
		expect(clientAddressKey("203.0.113.7")).toBe("203.0.113.7");
		expect(clientAddressKey("203.0.113.8")).not.toBe(clientAddressKey("203.0.113.7"));
	});

	it("keys an IPv4 client seen through IPv6 as its IPv4 address, not as one shared /64", () => {
		expect(clientAddressKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
		expect(clientAddressKey("::FFFF:203.0.113.8")).not.toBe(clientAddressKey("::ffff:203.0.113.7"));
	});

	it("keys every IPv6 address of one /64 alike, however it is written", () => {
		const key = clientAddressKey("2001:db8:1:2:3:4:5:6");
		expect(key).toBe("2001:db8:1:2::/64");
		for (const same of ["2001:db8:1:2::9", "2001:0db8:0001:0002:ffff::1", "2001:DB8:1:2::", "2001:db8:1:2:0:0:0:1"]) {
			expect(clientAddressKey(same)).toBe(key);
		}
		expect(clientAddressKey("2001:db8::1")).toBe(clientAddressKey("2001:db8:0:0:ffff::1"));
	});

	it("keys a different /64 differently", () => {
		const key = clientAddressKey("2001:db8:1:2::1");
		for (const other of ["2001:db8:1:3::1", "2001:db8:2:2::1", "2001:db9:1:2::1", "2001:db8::1"]) {
			expect(clientAddressKey(other)).not.toBe(key);
		}
	});
});

describe("abuse limits", () => {
	it("limits an IPv6 client rotating addresses within its /64 as one client on login", async () => {
		const prefix = randomPrefix64();
		const statuses: number[] = [];
		for (let i = 0; i < 11; i++) {
			const [c = 0, d = 0] = crypto.getRandomValues(new Uint16Array(2));
			const ip = `${prefix}:${(i + 1).toString(16)}:${c.toString(16)}:${d.toString(16)}:1`;
			statuses.push((await loginFrom(ip, `${uniqueId("v6")}@example.com`)).status);
		}
		expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
		expect(statuses[10]).toBe(429);
		// The next /64 is another client.
		expect((await loginFrom(`${randomPrefix64()}::1`, `${uniqueId("v6")}@example.com`)).status).toBe(401);
	});

	it("limits one email attacked from many addresses, and other emails keep working", async () => {
		const { client } = await paidClient();
		const password = "a long and unusual passphrase";
		expect(
			(
				await api("/api/portal/password", {
					method: "POST",
					json: { token: await outboxToken(client.email), password },
				})
			).status,
		).toBe(200);

		const victim = `${uniqueId("victim")}@example.com`;
		// Spelled differently each time; the limit counts the address, not the spelling.
		const spellings = [
			victim,
			victim.toUpperCase(),
			` ${victim}`,
			`${victim} `,
			victim.replace(/^./, (c) => c.toUpperCase()),
		];
		for (const spelling of spellings) {
			await expectJsonError(await loginFrom(randomIpv4(), spelling), 401, "invalid_credentials");
		}
		const logs = captureLogs();
		const limited = await loginFrom(randomIpv4(), victim);
		logs.restore();
		await expectJsonError(limited, 429, "rate_limited");
		expect(limited.headers.get("retry-after")).toBe("60");
		expect(logs.events("RATE_LIMITED")[0]).toMatchObject({ limiter: "LOGIN_EMAIL_LIMITER" });
		expect(logs.lines.join("\n")).not.toContain(victim);

		await expectJsonError(
			await loginFrom(randomIpv4(), `${uniqueId("other")}@example.com`),
			401,
			"invalid_credentials",
		);
		expect((await loginFrom(randomIpv4(), client.email, password)).status).toBe(200);
	});

	it("limits failed admin authentications per address, logging no token", async () => {
		const ip = randomIpv4();
		const wrong = `wrong-${uniqueId("admin")}-token-0123456789`;
		const logs = captureLogs();
		const statuses: number[] = [];
		for (let i = 0; i < 11; i++) {
			const response = await api("/api/admin/jobs", {
				headers: { "cf-connecting-ip": ip, authorization: `Bearer ${wrong}` },
			});
			statuses.push(response.status);
		}
		logs.restore();
		expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
		expect(statuses[10]).toBe(429);
		const failures = logs.events("ADMIN_AUTH_FAILED");
		expect(failures).toHaveLength(11);
		expect(failures[0]).toMatchObject({ path: "/api/admin/jobs", presented: true });
		expect(logs.lines.join("\n")).not.toContain(wrong);
		expect(logs.events("RATE_LIMITED")[0]).toMatchObject({ limiter: "ADMIN_AUTH_LIMITER" });
		// Another address is not limited.
		const other = await api("/api/admin/jobs", { headers: { authorization: `Bearer ${wrong}` } });
		await expectJsonError(other, 401, "unauthorized");
	});

	it("does not count valid admin tokens toward the limit", async () => {
		const ip = randomIpv4();
		for (let i = 0; i < 15; i++) {
			expect((await adminApi("/api/admin/jobs?limit=1", { headers: { "cf-connecting-ip": ip } })).status).toBe(200);
		}
		// All ten failures the limit allows are still left for this address.
		const statuses: number[] = [];
		for (let i = 0; i < 11; i++) {
			statuses.push(
				(await api("/api/admin/jobs", { headers: { "cf-connecting-ip": ip, authorization: "Bearer nope" } })).status,
			);
		}
		expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
		expect(statuses[10]).toBe(429);
	});
});

describe("one set-password link used concurrently", () => {
	it("lets exactly one request win, and the winning password is the one that logs in", async () => {
		const { client } = await paidClient();
		const token = await outboxToken(client.email);
		const passwords = [
			"first racing passphrase",
			"second racing passphrase",
			"third racing passphrase",
			"fourth racing passphrase",
		];
		const responses = await Promise.all(
			passwords.map((password) => api("/api/portal/password", { method: "POST", json: { token, password } })),
		);
		const statuses = responses.map((r) => r.status);
		expect(statuses.filter((s) => s === 200)).toHaveLength(1);
		for (const [i, response] of responses.entries()) {
			if (statuses[i] !== 200) await expectJsonError(response, 400, "token_used");
		}
		const winner = passwords[statuses.indexOf(200)] ?? "";
		const login = (password: string) =>
			api("/api/portal/login", { method: "POST", json: { email: client.email, password } });
		expect((await login(winner)).status).toBe(200);
		for (const loser of passwords.filter((p) => p !== winner)) {
			await expectJsonError(await login(loser), 401, "invalid_credentials");
		}
	});
});
