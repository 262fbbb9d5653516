import { describe, expect, it } from "vitest";
import { api, captureLogs, envWith, standInControl, standInRequests, uniqueId } from "./support/helpers";

const PLANS = JSON.stringify({
	starter: { lookup_key: "starter_monthly", name: "Starter", price_display: "$29 / month" },
	lifetime: { lookup_key: "lifetime_once", name: "Lifetime", mode: "payment" },
});

/** A Stripe account of its own, whose prices carry the lookup keys stripe/plans.json gives them. */
async function accountWithLookupKeys() {
	const key = `sk_test_${uniqueId("lookup").replace(/[^A-Za-z0-9]/g, "")}`;
	const starter = `price_${uniqueId("st").replace(/[^A-Za-z0-9]/g, "")}`;
	const lifetime = `price_${uniqueId("lt").replace(/[^A-Za-z0-9]/g, "")}`;
	await standInControl("prices", {
		key,
		prices: [
			{ id: starter, lookup_key: "starter_monthly" },
			{ id: lifetime, lookup_key: "lifetime_once", type: "one_time", recurring: null },
		],
	});
	return { key, starter, lifetime, env: envWith({ STRIPE_SECRET_KEY: key, PLANS }) };
}

const checkout = (plan: string, customEnv: Env) =>
	api(
		"/api/checkout",
		{ method: "POST", json: { email: `${uniqueId("lk")}@example.com`, name: "Lou Kup", plan_code: plan } },
		customEnv,
	);

describe("PLANS by lookup_key", () => {
	it("checks out a lookup_key plan with the price id Stripe resolves, asking Stripe once per isolate", async () => {
		const account = await accountWithLookupKeys();
		const first = await checkout("starter", account.env);
		expect(first.status).toBe(200);
		const second = await checkout("lifetime", account.env);
		expect(second.status).toBe(200);
		const sessions = (await standInRequests(account.key)).filter(
			(r) => r.key === account.key && r.path === "/v1/checkout/sessions",
		);
		expect(sessions.map((r) => r.form["line_items[0][price]"])).toEqual([account.starter, account.lifetime]);
		expect(sessions[1]?.form.mode).toBe("payment");
		const lookups = (await standInRequests(account.key)).filter(
			(r) => r.key === account.key && r.path === "/v1/prices",
		);
		expect(lookups).toHaveLength(1);
		expect(lookups[0]?.method).toBe("GET");
	});

	it("answers 503 and logs CONFIG_ERROR while a lookup key names no price, and checks out once it does", async () => {
		const key = `sk_test_${uniqueId("nolookup").replace(/[^A-Za-z0-9]/g, "")}`;
		const customEnv = envWith({ STRIPE_SECRET_KEY: key, PLANS });
		const logs = captureLogs();
		try {
			const refused = await checkout("starter", customEnv);
			expect(refused.status).toBe(503);
			expect(((await refused.json()) as { error: string }).error).toBe("checkout_unavailable");
			expect(logs.events("CONFIG_ERROR")).toContainEqual(
				expect.objectContaining({ check: "plans", hint: expect.stringContaining("starter_monthly") }),
			);
			const health = (await (await api("/api/health", {}, customEnv)).json()) as { ok: boolean };
			expect(health.ok).toBe(false);
		} finally {
			logs.restore();
		}
		await standInControl("prices", {
			key,
			prices: [
				{ id: "price_lookup_later", lookup_key: "starter_monthly" },
				{ id: "price_lookup_later_once", lookup_key: "lifetime_once", type: "one_time", recurring: null },
			],
		});
		const accepted = await checkout("starter", customEnv);
		expect(accepted.status).toBe(200);
		const health = (await (await api("/api/health", {}, customEnv)).json()) as { ok: boolean };
		expect(health.ok).toBe(true);
	});
});
