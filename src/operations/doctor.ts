// Configuration checks for /api/admin/health and `npm run doctor`: each one
// pass/fail with a one-line hint that names the fix. Secret values never
// appear; only which variable is set.
import type { Config } from "../config";
import { lastAlertSent } from "../db/alerts";
import type { Db } from "../db/database";
import { lastWebhookReceivedAt, recentSyncConfirmations } from "../db/health";
import { errorMessage } from "../log";
import { quotaSpent } from "../mail/quota";
import { WEBHOOK_PATHS } from "../rules/stripe-endpoint";
import type { StripeApi } from "../stripe/api";
import { HANDLED_EVENT_TYPES, INVOICE_PARENT_API_VERSION } from "../stripe/events";
import { resolvePlanPrices } from "../stripe/plan-prices";
import { appChecks, appDeliveryCheck } from "./doctor-app";

export interface Check {
	name: string;
	ok: boolean;
	/** Passing, but worth a look: the product works, less well than it could. */
	warn?: boolean;
	hint: string;
}

export interface DoctorDeps {
	config: Config;
	env: Pick<Env, "DB" | "WORK_QUEUE">;
	db: Db;
	stripe: StripeApi | null;
	now: number;
}

const REQUIRED_TABLES = ["clients", "jobs", "users", "password_tokens", "sessions", "webhook_events", "outbox"];
const DEAD_MAN_WINDOW_MS = 3_600_000;

/** The check `name` fails with the first config problem among `problems` (default: its own name). */
function problemCheck(config: Config, name: string, okHint: string, problems: string[] = [name]): Check {
	const problem = config.problems.find((p) => problems.includes(p.name));
	return problem ? { name, ok: false, hint: problem.hint } : { name, ok: true, hint: okHint };
}

export function stripeKeyCheck(config: Config): Check {
	if (config.problems.some((p) => p.name === "stripe_key")) return problemCheck(config, "stripe_key", "");
	if (config.mode === "unconfigured") {
		return {
			name: "stripe_key",
			ok: false,
			hint: config.devTools
				? "STRIPE_SECRET_KEY is not set: the development checkout stand-in is active"
				: "STRIPE_SECRET_KEY is not set: wrangler secret put STRIPE_SECRET_KEY",
		};
	}
	return { name: "stripe_key", ok: true, hint: `STRIPE_SECRET_KEY is a ${config.mode} key` };
}

export function mailCheck(config: Config): Check {
	const okHint = `mail goes through ${config.mail.transport}${config.mail.transport === "outbox" ? "" : `, paced to ${config.mail.ratePerSecond}/s`}`;
	return problemCheck(config, "mail_transport", okHint, ["mail_transport", "mail_api_base", "mail_rate"]);
}

/** Fails from the provider's quota answer until a later send gets through. */
export async function mailQuotaCheck(db: Db): Promise<Check> {
	const name = "mail_quota";
	const spent = await quotaSpent(db);
	if (!spent) return { name, ok: true, hint: "the mail provider's quota has not run out" };
	return {
		name,
		ok: false,
		hint: `since ${new Date(spent.seenAt).toISOString()} the mail provider refuses sends (${spent.answer}): emails wait and are sent again hourly; raise the quota of your Resend plan`,
	};
}

async function databaseCheck(d1: D1Database): Promise<Check> {
	const name = "database";
	try {
		const { results } = await d1
			.prepare(
				`select name from sqlite_master where type = 'table' and name in (${REQUIRED_TABLES.map(() => "?").join(",")})`,
			)
			.bind(...REQUIRED_TABLES)
			.all<{ name: string }>();
		const found = new Set(results.map((r) => r.name));
		const missing = REQUIRED_TABLES.filter((t) => !found.has(t));
		if (missing.length > 0) {
			return { name, ok: false, hint: `D1 is missing ${missing.join(", ")}: wrangler d1 migrations apply DB --remote` };
		}
		return { name, ok: true, hint: "D1 reachable and migrated" };
	} catch (error) {
		return { name, ok: false, hint: `D1 unreachable (${errorMessage(error)}): check the DB binding's database_id` };
	}
}

function queueCheck(queue: unknown): Check {
	const ok = !!queue && typeof (queue as Queue).send === "function";
	return {
		name: "queue",
		ok,
		hint: ok
			? "WORK_QUEUE bound"
			: "WORK_QUEUE is not bound: wrangler queues create onboarding-work and onboarding-work-dlq, then deploy with the [[queues]] config",
	};
}

async function plansCheck(config: Config, stripe: StripeApi | null): Promise<Check> {
	const name = "plans";
	// Lookup-key plans first learn their price ids; a failure lists itself as a "plans" problem.
	await resolvePlanPrices(config, stripe);
	if (config.problems.some((p) => p.name === name)) return problemCheck(config, name, "");
	if (!stripe)
		return { name, ok: true, hint: `${config.plans.size} plan(s) configured; prices not checked without a Stripe key` };
	const bad: string[] = [];
	for (const plan of config.plans.values()) {
		try {
			const price = await stripe.retrievePrice(plan.priceId);
			// A subscription plan needs a recurring price; a one-time plan (mode "payment") a one_time one.
			const wanted = plan.mode === "payment" ? "one_time" : "recurring";
			if (!price.active) bad.push(`${plan.code} → ${plan.priceId} is archived`);
			else if (price.type !== wanted)
				bad.push(
					`${plan.code} → ${plan.priceId} is a ${price.type} price but the plan is sold as ${plan.mode === "payment" ? "a one-time purchase" : "a subscription"}`,
				);
			else if (price.livemode !== (config.mode === "live"))
				bad.push(`${plan.code} → ${plan.priceId} belongs to the other mode`);
		} catch (error) {
			bad.push(`${plan.code} → ${plan.priceId} not found (${errorMessage(error)})`);
		}
	}
	return bad.length
		? { name, ok: false, hint: `PLANS: ${bad.join("; ")}` }
		: { name, ok: true, hint: `${config.plans.size} plan(s), every price active and of its plan's kind` };
}

export async function webhookEndpointCheck(config: Config, stripe: StripeApi | null): Promise<Check> {
	const name = "stripe_webhook_endpoint";
	if (!stripe)
		return { name, ok: false, hint: "cannot ask Stripe about the webhook endpoint without STRIPE_SECRET_KEY" };
	const wanted = WEBHOOK_PATHS.map((p) => `${config.appUrl}${p}`);
	let endpoints: Awaited<ReturnType<StripeApi["listWebhookEndpoints"]>>["data"];
	try {
		endpoints = (await stripe.listWebhookEndpoints()).data;
	} catch (error) {
		return { name, ok: false, hint: `could not list webhook endpoints: ${errorMessage(error)}` };
	}
	const exact = endpoints.filter((e) => wanted.includes(e.url));
	if (exact.length === 0) {
		const near = endpoints.find((e) =>
			wanted.some((w) => e.url.replace(/^http:/, "https:").replace(/\/+$/, "") === w.replace(/^http:/, "https:")),
		);
		return {
			name,
			ok: false,
			hint: near
				? `endpoint ${near.url} differs from ${wanted[0]} (scheme or trailing slash): Stripe does not follow redirects`
				: `no Stripe webhook endpoint points at ${wanted[0]}; add one in the dashboard (Developers → Webhooks)`,
		};
	}
	const enabled = exact.filter((e) => e.status === "enabled");
	if (enabled.length === 0)
		return { name, ok: false, hint: `the endpoint for ${exact[0]?.url} is disabled in Stripe: enable it` };
	const best = enabled
		.map((e) => ({
			e,
			missing: e.enabled_events.includes("*") ? [] : HANDLED_EVENT_TYPES.filter((t) => !e.enabled_events.includes(t)),
		}))
		.sort((a, b) => a.missing.length - b.missing.length)[0];
	if (best && best.missing.length > 0) {
		return { name, ok: false, hint: `the endpoint ${best.e.url} does not send: ${best.missing.join(", ")}` };
	}
	if (best && best.e.livemode !== (config.mode === "live")) {
		return {
			name,
			ok: false,
			hint: `the endpoint is a ${best.e.livemode ? "live" : "test"} endpoint but the key is ${config.mode}`,
		};
	}
	// API versions are date-named, so they compare as strings. null: the account's default version.
	const version = best?.e.api_version;
	if (version && version < INVOICE_PARENT_API_VERSION) {
		return {
			name,
			ok: true,
			warn: true,
			hint: `the endpoint sends API version ${version}, older than ${INVOICE_PARENT_API_VERSION}: invoice events arrive in the older shape (read, but consider upgrading the endpoint)`,
		};
	}
	return { name, ok: true, hint: `enabled endpoint ${best?.e.url} with every required event` };
}

export async function deliveryCheck(db: Db, now: number): Promise<Check> {
	const name = "webhook_deliveries";
	const since = now - DEAD_MAN_WINDOW_MS;
	const [lastWebhook, confirmedWithoutWebhook] = await Promise.all([
		lastWebhookReceivedAt(db),
		recentSyncConfirmations(db, since),
	]);
	if (confirmedWithoutWebhook > 0 && (lastWebhook === null || lastWebhook < since)) {
		return {
			name,
			ok: false,
			hint: `${confirmedWithoutWebhook} checkout(s) in the last hour were confirmed by asking Stripe, and no webhook arrived: check the endpoint URL and the webhook secret`,
		};
	}
	return {
		name,
		ok: true,
		hint: lastWebhook
			? `last webhook ${new Date(lastWebhook).toISOString()}`
			: "no checkout confirmed without a webhook",
	};
}

/** Where alerts go, and the last one sent: its time and words. */
export async function alertsCheck(db: Db, config: Config): Promise<Check> {
	const name = "alerts";
	const problem = config.problems.find((p) => p.name === name);
	if (problem) return { name, ok: false, hint: problem.hint };
	if (!config.app.alertUrl)
		return {
			name,
			ok: true,
			warn: true,
			hint: "ALERT_WEBHOOK_URL is not set: nobody is told when a job fails or webhooks stop (a Slack or Discord incoming webhook)",
		};
	const last = await lastAlertSent(db);
	return {
		name,
		ok: true,
		hint: last ? `last alert ${new Date(last.lastSentAt).toISOString()}: ${last.lastMessage}` : "no alert sent yet",
	};
}

export async function runChecks(deps: DoctorDeps): Promise<Check[]> {
	const { config } = deps;
	const [database, plans, endpoint, delivery, appDeliveries, quota, alerts] = await Promise.all([
		databaseCheck(deps.env.DB),
		plansCheck(config, deps.stripe),
		webhookEndpointCheck(config, deps.stripe),
		deliveryCheck(deps.db, deps.now).catch(
			(error): Check => ({
				name: "webhook_deliveries",
				ok: false,
				hint: `could not read deliveries: ${errorMessage(error)}`,
			}),
		),
		appDeliveryCheck(deps.db, config, deps.now).catch(
			(error): Check => ({
				name: "app_deliveries",
				ok: false,
				hint: `could not read deliveries: ${errorMessage(error)}`,
			}),
		),
		mailQuotaCheck(deps.db).catch(
			(error): Check => ({ name: "mail_quota", ok: false, hint: `could not read: ${errorMessage(error)}` }),
		),
		alertsCheck(deps.db, config).catch(
			(error): Check => ({ name: "alerts", ok: false, hint: `could not read alerts: ${errorMessage(error)}` }),
		),
	]);
	return [
		stripeKeyCheck(config),
		problemCheck(
			config,
			"webhook_secret",
			`${config.webhookSecrets.length} webhook secret(s) from ${config.webhookSecretSource}`,
		),
		problemCheck(
			config,
			"stripe_modes_agree",
			config.webhookSecretSource
				? `${config.mode} key, webhook secrets from ${config.webhookSecretSource}`
				: "no webhook secret to compare",
		),
		problemCheck(config, "app_url", `APP_URL is ${config.appUrl}`),
		problemCheck(config, "stripe_api_base", `Stripe API at ${config.stripeApiBase}`),
		problemCheck(config, "admin_token", "ADMIN_TOKEN is long enough"),
		database,
		queueCheck(deps.env.WORK_QUEUE),
		plans,
		mailCheck(config),
		quota,
		endpoint,
		delivery,
		...appChecks(config),
		appDeliveries,
		alerts,
	];
}
