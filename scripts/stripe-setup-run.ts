// The I/O half of `npm run stripe:setup` and `npm run doctor -- --fix`: reads
// what Stripe holds over its REST API (fetch and the secret key), asks
// stripe-setup-plan.ts what differs, and sends those requests in order.
import { STRIPE_API_VERSION } from "../src/stripe/api-version.ts";
import { encodeForm } from "../src/stripe/form.ts";
import {
	type EndpointPlan,
	type PlansFile,
	planCatalog,
	planEndpoint,
	type SetupAction,
	type StripeEndpoint,
	type StripePrice,
	type StripeProduct,
} from "./stripe-setup-plan.ts";

export interface StripeTarget {
	key: string;
	/** STRIPE_API_BASE, or Stripe itself. */
	base: string;
	appUrl: string;
	fetcher?: typeof fetch;
}

export interface SetupReport {
	lines: string[];
	/** Requests sent (or that would be, with dryRun). */
	changes: number;
	/** The new endpoint's signing secret: Stripe shows it only in the answer that creates it. */
	webhookSecret?: string;
}

/** Stripe allows at most 10 lookup keys per list request. */
const LOOKUP_KEYS_PER_REQUEST = 10;

export class StripeSetupError extends Error {
	status: number;
	constructor(status: number, message: string) {
		super(message);
		this.status = status;
	}
}

function client(target: StripeTarget) {
	const fetcher = target.fetcher ?? fetch;
	return async function call<T>(method: "GET" | "POST", path: string, params?: object): Promise<T> {
		const headers: Record<string, string> = {
			authorization: `Bearer ${target.key}`,
			"stripe-version": STRIPE_API_VERSION,
		};
		let body: string | undefined;
		if (method === "POST") {
			headers["content-type"] = "application/x-www-form-urlencoded";
			// One key per request: a retried request is never applied twice, and a later run is never a replay.
			headers["idempotency-key"] = `stripe-setup-${crypto.randomUUID()}`;
			body = encodeForm(params ?? {});
		}
		const response = await fetcher(`${target.base.replace(/\/+$/, "")}${path}`, { method, headers, body });
		const text = await response.text();
		if (!response.ok) {
			let message = text;
			try {
				message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
			} catch {}
			throw new StripeSetupError(response.status, `${method} ${path} answered ${response.status}: ${message}`);
		}
		return JSON.parse(text) as T;
	};
}

type Call = ReturnType<typeof client>;

async function readProducts(call: Call, ids: string[]): Promise<Map<string, StripeProduct>> {
	const found = new Map<string, StripeProduct>();
	for (const id of ids) {
		try {
			found.set(id, await call<StripeProduct>("GET", `/v1/products/${encodeURIComponent(id)}`));
		} catch (error) {
			if (!(error instanceof StripeSetupError && error.status === 404)) throw error;
		}
	}
	return found;
}

async function readPrices(call: Call, lookupKeys: string[]): Promise<StripePrice[]> {
	const prices: StripePrice[] = [];
	for (let i = 0; i < lookupKeys.length; i += LOOKUP_KEYS_PER_REQUEST) {
		const chunk = lookupKeys.slice(i, i + LOOKUP_KEYS_PER_REQUEST);
		const list = await call<{ data: StripePrice[] }>(
			"GET",
			`/v1/prices?${encodeForm({ lookup_keys: chunk, limit: 100 })}`,
		);
		prices.push(...list.data);
	}
	return prices;
}

async function readEndpoints(call: Call): Promise<StripeEndpoint[]> {
	return (await call<{ data: StripeEndpoint[] }>("GET", "/v1/webhook_endpoints?limit=100")).data;
}

async function apply(call: Call, actions: SetupAction[], report: SetupReport): Promise<void> {
	for (const action of actions) {
		const answer = await call<{ id?: string; secret?: string }>("POST", action.path, action.params);
		report.lines.push(`  done: ${action.summary}${answer.id ? ` → ${answer.id}` : ""}`);
		if (action.createsEndpoint && answer.secret) report.webhookSecret = answer.secret;
	}
}

function endpointLines(plan: EndpointPlan, report: SetupReport, dryRun: boolean): void {
	for (const action of plan.actions) if (dryRun) report.lines.push(`  would ${action.summary}`);
	for (const note of plan.notes) report.lines.push(`  note: ${note}`);
}

/**
 * Stripe refuses an endpoint it cannot reach (a URL on this machine), and
 * local work needs none: `stripe listen` forwards the events.
 */
function endpointPlan(endpoints: StripeEndpoint[], appUrl: string): EndpointPlan {
	if (/^https?:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(appUrl))
		return {
			actions: [],
			notes: [
				`APP_URL ${appUrl} is on this machine, which Stripe cannot reach: no endpoint; forward events with stripe listen --forward-to ${appUrl.replace(/^https?:\/\//, "")}/api/webhook/stripe`,
			],
		};
	return planEndpoint(endpoints, { appUrl, apiVersion: STRIPE_API_VERSION });
}

/** Products, prices and the webhook endpoint made to match `file` and APP_URL. */
export async function runStripeSetup(
	target: StripeTarget,
	file: PlansFile,
	options: { dryRun?: boolean } = {},
): Promise<SetupReport> {
	const call = client(target);
	const report: SetupReport = { lines: [], changes: 0 };
	const lookupKeys = file.products.flatMap((p) => p.prices.map((price) => price.lookup_key));
	const [products, prices, endpoints] = await Promise.all([
		readProducts(
			call,
			file.products.map((p) => p.id),
		),
		readPrices(call, lookupKeys),
		readEndpoints(call),
	]);
	const catalog = planCatalog(file, { products, prices });
	const endpoint = endpointPlan(endpoints, target.appUrl);
	report.changes = catalog.length + endpoint.actions.length;
	if (options.dryRun) {
		for (const action of catalog) report.lines.push(`  would ${action.summary}`);
	} else {
		await apply(call, catalog, report);
	}
	endpointLines(endpoint, report, options.dryRun === true);
	if (!options.dryRun) await apply(call, endpoint.actions, report);
	if (report.changes === 0) report.lines.push("Stripe already matches stripe/plans.json and APP_URL: nothing changed.");
	return report;
}

/** The doctor's --fix: only the webhook endpoint (events, url, enabled; a new one for another API version). */
export async function fixWebhookEndpoint(target: StripeTarget): Promise<SetupReport> {
	const call = client(target);
	const report: SetupReport = { lines: [], changes: 0 };
	const plan = endpointPlan(await readEndpoints(call), target.appUrl);
	report.changes = plan.actions.length;
	endpointLines(plan, report, false);
	await apply(call, plan.actions, report);
	if (report.changes === 0) report.lines.push("The webhook endpoint is as it should be: nothing changed.");
	return report;
}

/** How to store a new endpoint's secret: the variable the key's mode reads. */
export function secretInstructions(key: string, secret: string): string[] {
	const variable = /^(sk|rk)_live_/.test(key) ? "STRIPE_WEBHOOK_SECRET_LIVE" : "STRIPE_WEBHOOK_SECRET_TEST";
	return [
		"",
		"The new endpoint's signing secret (Stripe shows it only now):",
		`  ${secret}`,
		`Store it: npx wrangler secret put ${variable} --env=""   (locally: ${variable}=… in .dev.vars)`,
	];
}
