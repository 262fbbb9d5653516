// Reads and validates the environment once per isolate: Stripe mode, webhook
// secret slots, plans, origins, mail transport. A bad value becomes a listed
// problem and a CONFIG_ERROR log line, never a crash; the health routes report
// it, and the parts it would make unsafe (a live key over plain http, live
// checkouts returning to localhost) stay switched off.

import { type AppConfig, parseAppConfig } from "./config-app";
import { parsePlans } from "./config-plans";
import { DEV_ADMIN_TOKEN, DEV_LINK_SECRET, DEV_WEBHOOK_SECRET } from "./dev-defaults";
import { log } from "./log";
import { DAY_MS, DEFAULT_PAST_DUE_GRACE_DAYS, type PlanMode } from "./rules/access";

export { DEV_ADMIN_TOKEN, DEV_WEBHOOK_SECRET };

import { apiBaseUsable, isLoopbackOrigin, isPublicHttpsOrigin } from "./origins";

export type StripeMode = "test" | "live" | "unconfigured";
export type MailTransportName = "outbox" | "resend";

export interface Plan {
	code: string;
	/** "" until a plan named by `lookupKey` is resolved through Stripe. */
	priceId: string;
	lookupKey?: string;
	name: string;
	priceDisplay?: string;
	/** subscription (the default) or payment: a one-time purchase, Checkout in payment mode. */
	mode: PlanMode;
	/** A subscription that starts with a free trial of this many days. */
	trialDays?: number;
}

export interface ConfigProblem {
	name: string;
	hint: string;
}

export interface Config {
	mode: StripeMode;
	stripeKey?: string;
	stripeApiBase: string;
	/** False when a live key would travel to a non-https STRIPE_API_BASE: no request is made. */
	stripeApiBaseUsable: boolean;
	/** Which variable the webhook secrets came from (never the value). */
	webhookSecretSource?: string;
	webhookSecrets: string[];
	plans: Map<string, Plan>;
	/** Plan codes by Stripe price id: a subscription's price names its plan. */
	planByPrice: Map<string, Plan>;
	/** How long a failed renewal keeps access (PAST_DUE_GRACE_DAYS, default 7), in ms. */
	pastDueGraceMs: number;
	appUrl: string;
	/** Live checkouts need an https origin Stripe can send the customer back to. */
	appUrlPublic: boolean;
	supportEmail: string;
	mail: {
		transport: MailTransportName;
		from: string;
		apiKey?: string;
		apiBase: string;
		apiBaseUsable: boolean;
		/** The provider's accepted sends per second (Resend's default team limit is 2). */
		ratePerSecond: number;
		/** How long one send may take before we give up on the answer (the email may still go out). */
		timeoutMs: number;
	};
	adminToken?: string;
	/**
	 * What set-password tokens are derived from (src/crypto.ts derivedToken): the
	 * Stripe key every deployment requires, or in local work a built-in secret.
	 */
	linkSecret?: string;
	/** The operator's own app: its webhook endpoint and secret, the access API key. */
	app: AppConfig;
	/** Development-only checkout stand-in and outbox viewer. Never with a live key. */
	devTools: boolean;
	problems: ConfigProblem[];
}

/** Shorter admin tokens are guessable; `openssl rand -hex 32` gives 64 characters. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

const DEFAULT_MAIL_RATE_PER_SECOND = 2;
const DEFAULT_MAIL_TIMEOUT_MS = 10_000;

const cache = new WeakMap<object, Config>();

export function getConfig(env: Env): Config {
	let config = cache.get(env);
	if (!config) {
		config = parseConfig(env);
		cache.set(env, config);
		for (const problem of config.problems) {
			log("CONFIG_ERROR", { check: problem.name, hint: problem.hint });
		}
	}
	return config;
}

/** A set variable's trimmed value; undefined when unset or blank. */
export function value(raw: unknown): string | undefined {
	if (typeof raw !== "string") return undefined;
	const trimmed = raw.trim();
	return trimmed === "" ? undefined : trimmed;
}

export function keyMode(key: string | undefined): StripeMode | "invalid" {
	if (!key) return "unconfigured";
	if (/^(sk|rk)_test_/.test(key)) return "test";
	if (/^(sk|rk)_live_/.test(key)) return "live";
	return "invalid";
}

function splitSecrets(raw: string | undefined): string[] {
	return (raw ?? "")
		.split(",")
		.map((s) => s.trim())
		.filter((s) => s !== "");
}

const SECRET_VAR = {
	test: "STRIPE_WEBHOOK_SECRET_TEST",
	live: "STRIPE_WEBHOOK_SECRET_LIVE",
	fallback: "STRIPE_WEBHOOK_SECRET",
} as const;

/** The key's mode picks its own secret variable, falling back to the shared one. */
function webhookSecretsFor(mode: StripeMode, env: Env): { webhookSecrets: string[]; webhookSecretSource?: string } {
	const own = mode === "live" ? SECRET_VAR.live : SECRET_VAR.test;
	const [source, raw] = value(env[own]) ? [own, env[own]] : [SECRET_VAR.fallback, env[SECRET_VAR.fallback]];
	const webhookSecrets = splitSecrets(value(raw));
	return webhookSecrets.length > 0 ? { webhookSecrets, webhookSecretSource: source } : { webhookSecrets };
}

/**
 * The test/live mix-up this service exists to catch: the key is one mode's and
 * only the other mode's webhook secret is set. Returns the two variable names.
 */
function modeMismatch(mode: StripeMode, env: Env): { own: string; other: string } | null {
	if (mode === "unconfigured") return null;
	const [own, other] = mode === "live" ? [SECRET_VAR.live, SECRET_VAR.test] : [SECRET_VAR.test, SECRET_VAR.live];
	return value(env[other]) && !value(env[own]) ? { own, other } : null;
}

export function parseConfig(env: Env): Config {
	const problems: ConfigProblem[] = [];
	const stripeKey = value(env.STRIPE_SECRET_KEY);
	const detected = keyMode(stripeKey);
	const mode: StripeMode = detected === "invalid" ? "unconfigured" : detected;
	if (detected === "invalid") {
		problems.push({
			name: "stripe_key",
			hint: "STRIPE_SECRET_KEY must start with sk_test_, sk_live_, rk_test_ or rk_live_",
		});
	}

	const secrets = webhookSecretsFor(mode, env);
	let { webhookSecrets, webhookSecretSource } = secrets;
	const appUrl = (value(env.APP_URL) ?? "").replace(/\/+$/, "");
	// Both, so a deployment cannot switch them on: no Stripe key at all, and a loopback origin.
	const devTools = value(env.DEV_TOOLS) === "1" && !stripeKey && isLoopbackOrigin(appUrl);
	if (webhookSecrets.length === 0 && devTools) {
		webhookSecrets = [DEV_WEBHOOK_SECRET];
		webhookSecretSource = "built-in development secret";
	}
	const mismatch = modeMismatch(mode, env);
	if (webhookSecrets.length === 0) {
		problems.push({
			name: "webhook_secret",
			hint: mismatch
				? `STRIPE_SECRET_KEY is a ${mode} key but only ${mismatch.other} is set: set ${mismatch.own}`
				: `no webhook secret for ${mode} mode: wrangler secret put ${mode === "live" ? SECRET_VAR.live : SECRET_VAR.test} (the whsec_… of the Stripe endpoint)`,
		});
	} else if (webhookSecrets.some((s) => !s.startsWith("whsec_"))) {
		problems.push({
			name: "webhook_secret",
			hint: `${webhookSecretSource} holds a value that does not start with whsec_: copy the endpoint's signing secret from the Stripe dashboard`,
		});
	}
	if (mismatch) {
		problems.push({
			name: "stripe_modes_agree",
			hint: `STRIPE_SECRET_KEY is a ${mode} key but ${mismatch.other} is set and ${mismatch.own} is not: ${mode} events will be verified with ${webhookSecretSource ?? "no secret"}`,
		});
	}

	const plans = parsePlans(value(env.PLANS), problems);
	const planByPrice = new Map([...plans.values()].filter((p) => p.priceId).map((plan) => [plan.priceId, plan]));
	const graceDays = Number(value(env.PAST_DUE_GRACE_DAYS) ?? DEFAULT_PAST_DUE_GRACE_DAYS);
	const pastDueGraceMs =
		(Number.isFinite(graceDays) && graceDays >= 0 ? graceDays : DEFAULT_PAST_DUE_GRACE_DAYS) * DAY_MS;
	if (!(Number.isFinite(graceDays) && graceDays >= 0)) {
		problems.push({ name: "grace_days", hint: "PAST_DUE_GRACE_DAYS must be a number of days (0 or more)" });
	}

	const appUrlPublic = isPublicHttpsOrigin(appUrl);
	if (!/^https?:\/\/[^/]+$/.test(appUrl)) {
		problems.push({ name: "app_url", hint: "APP_URL must be the site's origin, e.g. https://onboarding.example.com" });
	} else if (mode === "live" && !appUrlPublic) {
		problems.push({
			name: "app_url",
			hint: `APP_URL ${appUrl} is not an https public origin: live checkout is refused until it is`,
		});
	}

	const stripeApiBase = (value(env.STRIPE_API_BASE) ?? "https://api.stripe.com").replace(/\/+$/, "");
	const stripeApiBaseUsable = apiBaseUsable(stripeApiBase, mode === "live", "api.stripe.com");
	if (!stripeApiBaseUsable) {
		problems.push({
			name: "stripe_api_base",
			hint: "STRIPE_API_BASE must be https://api.stripe.com with a live key, and https:// unless loopback: unset it",
		});
	}

	const mail = parseMail(env, mode, problems);
	const adminToken = value(env.ADMIN_TOKEN) ?? (devTools ? DEV_ADMIN_TOKEN : undefined);
	if (adminToken && adminToken.length < MIN_ADMIN_TOKEN_LENGTH) {
		problems.push({
			name: "admin_token",
			hint: `ADMIN_TOKEN has ${adminToken.length} characters; use at least ${MIN_ADMIN_TOKEN_LENGTH} (openssl rand -hex 32)`,
		});
	}

	return {
		mode,
		stripeKey: detected === "invalid" ? undefined : stripeKey,
		stripeApiBase,
		stripeApiBaseUsable,
		webhookSecretSource,
		webhookSecrets,
		plans,
		planByPrice,
		pastDueGraceMs,
		appUrl,
		appUrlPublic,
		supportEmail: value(env.SUPPORT_EMAIL) ?? "support@example.com",
		mail,
		adminToken,
		linkSecret: stripeKey ?? (devTools ? DEV_LINK_SECRET : undefined),
		app: parseAppConfig(env, mode, adminToken, problems),
		devTools,
		problems,
	};
}

function parseMail(env: Env, mode: StripeMode, problems: ConfigProblem[]): Config["mail"] {
	const transportRaw = value(env.MAIL_TRANSPORT) ?? "outbox";
	let transport: MailTransportName = "outbox";
	if (transportRaw === "outbox" || transportRaw === "resend") {
		transport = transportRaw;
	} else {
		problems.push({
			name: "mail_transport",
			hint: `MAIL_TRANSPORT "${transportRaw}" is unknown: use outbox or resend`,
		});
	}
	const apiKey = value(env.MAIL_API_KEY);
	if (transport === "outbox" && mode === "live") {
		problems.push({
			name: "mail_transport",
			hint: "MAIL_TRANSPORT is outbox in live mode: customers receive no email; set MAIL_TRANSPORT=resend and MAIL_API_KEY",
		});
	} else if (transport === "resend" && !apiKey) {
		problems.push({
			name: "mail_transport",
			hint: "MAIL_TRANSPORT is resend but MAIL_API_KEY is not set: wrangler secret put MAIL_API_KEY",
		});
	}
	const apiBase = (value(env.MAIL_API_BASE) ?? "https://api.resend.com").replace(/\/+$/, "");
	const baseUsable = apiBaseUsable(apiBase, mode === "live", "api.resend.com");
	if (!baseUsable) {
		problems.push({
			name: "mail_api_base",
			hint: "MAIL_API_BASE must be https://api.resend.com in live mode, and https:// unless loopback: unset it",
		});
	}
	const rateRaw = value(env.MAIL_RATE_PER_SECOND);
	let ratePerSecond = DEFAULT_MAIL_RATE_PER_SECOND;
	if (rateRaw !== undefined) {
		const parsed = Number(rateRaw);
		if (Number.isFinite(parsed) && parsed > 0) ratePerSecond = parsed;
		else problems.push({ name: "mail_rate", hint: `MAIL_RATE_PER_SECOND "${rateRaw}" is not a positive number` });
	}
	const timeoutRaw = Number(value(env.MAIL_TIMEOUT_MS) ?? DEFAULT_MAIL_TIMEOUT_MS);
	const timeoutMs = Number.isFinite(timeoutRaw) && timeoutRaw > 0 ? timeoutRaw : DEFAULT_MAIL_TIMEOUT_MS;
	return {
		transport,
		timeoutMs,
		from: value(env.MAIL_FROM) ?? "onboarding@example.com",
		apiKey,
		apiBase,
		apiBaseUsable: baseUsable,
		ratePerSecond,
	};
}
