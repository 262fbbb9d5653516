// `npm run stripe:setup` and the doctor's --fix against the Stripe stand-in:
// stripe/plans.json becomes products, prices and the webhook endpoint; a
// second run changes nothing; drift (a new amount, an endpoint missing events,
// at the wrong url, disabled, on another API version) is repaired as Stripe
// allows it.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PlansFile, parsePlansFile } from "../../scripts/stripe-setup-plan.ts";
import { fixWebhookEndpoint, runStripeSetup, type StripeTarget } from "../../scripts/stripe-setup-run.ts";
import { STRIPE_API_VERSION } from "../../src/stripe/api-version.ts";
import { HANDLED_EVENT_TYPES } from "../../src/stripe/handled-events.ts";
import { standInClient } from "../support/stand-in/client.ts";
import { startStandIn } from "../support/stand-in/server.ts";

let standIn: Awaited<ReturnType<typeof startStandIn>>;
let keys = 0;
const APP_URL = "https://onboarding.example.com";

beforeAll(async () => {
	standIn = await startStandIn();
});
afterAll(() => standIn?.close());

function target(): StripeTarget {
	return { key: `sk_test_setup_${Date.now().toString(36)}_${++keys}`, base: standIn.url, appUrl: APP_URL };
}

async function repositoryPlans(): Promise<PlansFile> {
	const parsed = parsePlansFile(JSON.parse(await readFile("stripe/plans.json", "utf8")));
	if (!parsed.ok) throw new Error(parsed.errors.join("; "));
	return parsed.file;
}

async function stripeGet<T>(t: StripeTarget, path: string): Promise<T> {
	const response = await fetch(`${t.base}${path}`, { headers: { authorization: `Bearer ${t.key}` } });
	return (await response.json()) as T;
}

interface Endpoint {
	id: string;
	url: string;
	enabled_events: string[];
	status: string;
	api_version: string | null;
	secret?: string;
}
interface Price {
	id: string;
	lookup_key: string | null;
	unit_amount: number;
	active: boolean;
	type: string;
	product: string;
}

const endpointsOf = async (t: StripeTarget) => (await stripeGet<{ data: Endpoint[] }>(t, "/v1/webhook_endpoints")).data;
const priceOf = async (t: StripeTarget, lookupKey: string) =>
	(await stripeGet<{ data: Price[] }>(t, `/v1/prices?lookup_keys[]=${lookupKey}`)).data;
const posts = async (t: StripeTarget) =>
	(await standInClient(standIn.url).requests(t.key)).filter((r) => r.key === t.key && r.method === "POST");

describe("npm run stripe:setup", () => {
	it("reads the repository's stripe/plans.json: starter and pro monthly, a lifetime one-time plan, a trial", async () => {
		const file = await repositoryPlans();
		expect(Object.keys(file.plans)).toEqual(["starter", "pro", "lifetime", "trial"]);
		expect(file.plans.lifetime).toMatchObject({ mode: "payment" });
		expect(file.plans.trial).toMatchObject({ trial_days: 14 });
	});

	it("creates the products, the prices by lookup_key and the webhook endpoint, and prints its secret once", async () => {
		const t = target();
		const report = await runStripeSetup(t, await repositoryPlans());
		expect(report.changes).toBe(7);
		expect(report.webhookSecret).toMatch(/^whsec_/);
		const [starter] = await priceOf(t, "starter_monthly");
		expect(starter).toMatchObject({
			unit_amount: 2900,
			type: "recurring",
			product: "onboarding_starter",
			active: true,
		});
		const [lifetime] = await priceOf(t, "lifetime_once");
		expect(lifetime).toMatchObject({ unit_amount: 29900, type: "one_time" });
		const [endpoint] = await endpointsOf(t);
		expect(endpoint).toMatchObject({
			url: `${APP_URL}/api/webhook/stripe`,
			status: "enabled",
			api_version: STRIPE_API_VERSION,
		});
		expect([...(endpoint?.enabled_events ?? [])].sort()).toEqual([...HANDLED_EVENT_TYPES].sort());
		// Stripe shows the secret only in the answer that created the endpoint.
		expect(endpoint?.secret).toBeUndefined();
	});

	it("changes nothing on a second run, and says so", async () => {
		const t = target();
		const file = await repositoryPlans();
		await runStripeSetup(t, file);
		const before = (await posts(t)).length;
		const again = await runStripeSetup(t, file);
		expect(again.changes).toBe(0);
		expect(again.webhookSecret).toBeUndefined();
		expect(again.lines.join("\n")).toContain("nothing changed");
		expect((await posts(t)).length).toBe(before);
	});

	it("moves a lookup key to a new price when the amount changes, and archives the old one", async () => {
		const t = target();
		const file = await repositoryPlans();
		await runStripeSetup(t, file);
		const [old] = await priceOf(t, "pro_monthly");
		const raised = structuredClone(file);
		const pro = raised.products.find((p) => p.id === "onboarding_pro")?.prices[0];
		if (!pro) throw new Error("no pro price in stripe/plans.json");
		pro.unit_amount = 11900;
		const report = await runStripeSetup(t, raised);
		expect(report.changes).toBe(2);
		const [now] = await priceOf(t, "pro_monthly");
		expect(now).toMatchObject({ unit_amount: 11900, active: true });
		expect(now?.id).not.toBe(old?.id);
		const archived = await stripeGet<Price>(t, `/v1/prices/${old?.id}`);
		expect(archived).toMatchObject({ active: false, lookup_key: null, unit_amount: 9900 });
		const create = (await posts(t)).find((r) => r.path === "/v1/prices" && r.form.unit_amount === "11900");
		expect(create?.form.transfer_lookup_key).toBe("true");
		expect((await runStripeSetup(t, raised)).changes).toBe(0);
	});

	it("makes no endpoint for an APP_URL on this machine, which Stripe cannot reach, and says to use stripe listen", async () => {
		const t = { ...target(), appUrl: "http://127.0.0.1:8787" };
		const report = await runStripeSetup(t, await repositoryPlans());
		expect(report.changes).toBe(6);
		expect(report.webhookSecret).toBeUndefined();
		expect(report.lines.join("\n")).toContain("stripe listen --forward-to 127.0.0.1:8787/api/webhook/stripe");
		expect(await endpointsOf(t)).toEqual([]);
	});

	it("refuses a plans file whose plan names no price, before calling Stripe", () => {
		const parsed = parsePlansFile({
			products: [{ id: "p", name: "P", prices: [{ lookup_key: "once", unit_amount: 100, currency: "usd" }] }],
			plans: { a: { lookup_key: "missing" }, b: { lookup_key: "once" } },
		});
		expect(parsed).toEqual({
			ok: false,
			errors: [
				"plans.a.lookup_key must name a price above",
				'plans.b is a subscription but once is a one-time price: add "mode": "payment"',
			],
		});
	});
});

describe("the stand-in refuses what Stripe refuses", () => {
	it("answers 400 to a new amount on a price, api_version on an endpoint update, a lookup key taken, a localhost endpoint", async () => {
		const t = target();
		await runStripeSetup(t, await repositoryPlans());
		const [price] = await priceOf(t, "starter_monthly");
		const [endpoint] = await endpointsOf(t);
		const post = (path: string, body: string) =>
			fetch(`${t.base}${path}`, {
				method: "POST",
				headers: { authorization: `Bearer ${t.key}`, "content-type": "application/x-www-form-urlencoded" },
				body,
			});
		const amount = await post(`/v1/prices/${price?.id}`, "unit_amount=100");
		expect(amount.status).toBe(400);
		const version = await post(`/v1/webhook_endpoints/${endpoint?.id}`, "api_version=2020-08-27");
		expect(version.status).toBe(400);
		const taken = await post(
			"/v1/prices",
			"product=onboarding_starter&unit_amount=1&currency=usd&lookup_key=starter_monthly",
		);
		expect(taken.status).toBe(400);
		const local = await post(
			"/v1/webhook_endpoints",
			"url=http://localhost:8787/api/webhook/stripe&enabled_events[0]=checkout.session.completed",
		);
		expect(local.status).toBe(400);
	});
});

describe("npm run doctor -- --fix", () => {
	async function drifted(t: StripeTarget, drift: Partial<Endpoint> & { metadata?: Record<string, string> }) {
		await standInClient(standIn.url).control("webhook_endpoints", {
			key: t.key,
			endpoints: [
				{
					id: "we_drifted",
					object: "webhook_endpoint",
					url: `${APP_URL}/api/webhook/stripe`,
					enabled_events: [...HANDLED_EVENT_TYPES],
					status: "enabled",
					api_version: STRIPE_API_VERSION,
					metadata: {},
					...drift,
				},
			],
		});
	}

	it("adds the missing events, keeping the operator's own", async () => {
		const t = target();
		await drifted(t, { enabled_events: ["checkout.session.completed", "payout.paid"] });
		const report = await fixWebhookEndpoint(t);
		expect(report.changes).toBe(1);
		const [endpoint] = await endpointsOf(t);
		expect(endpoint?.id).toBe("we_drifted");
		expect(endpoint?.enabled_events).toContain("payout.paid");
		expect(HANDLED_EVENT_TYPES.every((e) => endpoint?.enabled_events.includes(e))).toBe(true);
		expect((await fixWebhookEndpoint(t)).changes).toBe(0);
	});

	it("points a tagged endpoint at the wrong url back at APP_URL", async () => {
		const t = target();
		await drifted(t, {
			url: "https://old-host.example.com/api/webhook/stripe",
			metadata: { onboarding_origin: APP_URL },
		});
		await fixWebhookEndpoint(t);
		const endpoints = await endpointsOf(t);
		expect(endpoints).toHaveLength(1);
		expect(endpoints[0]?.url).toBe(`${APP_URL}/api/webhook/stripe`);
	});

	it("enables a disabled endpoint", async () => {
		const t = target();
		await drifted(t, { status: "disabled" });
		const report = await fixWebhookEndpoint(t);
		expect(report.lines.join("\n")).toContain("enable it");
		expect((await endpointsOf(t))[0]?.status).toBe("enabled");
	});

	it("creates a new endpoint beside one on another API version, which Stripe cannot change", async () => {
		const t = target();
		await drifted(t, { api_version: "2024-06-20" });
		const report = await fixWebhookEndpoint(t);
		expect(report.webhookSecret).toMatch(/^whsec_/);
		expect(report.lines.join("\n")).toContain("delete we_drifted");
		const endpoints = await endpointsOf(t);
		expect(endpoints.map((e) => e.api_version)).toEqual(["2024-06-20", STRIPE_API_VERSION]);
		expect((await fixWebhookEndpoint(t)).changes).toBe(0);
	});
});
