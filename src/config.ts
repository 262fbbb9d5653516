// Reads and validates the environment once per isolate: Stripe mode, webhook
// secret slots, plans, mail transport. A bad value becomes a listed problem
// and a CONFIG_ERROR log line, never a crash; the health routes report it.
import { log } from "./log";

export type StripeMode = "test" | "live" | "unconfigured";
export type MailTransportName = "outbox" | "resend";

export interface Plan {
	code: string;
	priceId: string;
	name: string;
	priceDisplay?: string;
}

export interface ConfigProblem {
	name: string;
	hint: string;
}

export interface Config {
	mode: StripeMode;
	stripeKey?: string;
	stripeApiBase: string;
	/** Which variable the webhook secrets came from (never the value). */
	webhookSecretSource?: string;
	webhookSecrets: string[];
	plans: Map<string, Plan>;
	appUrl: string;
	supportEmail: string;
	mail: {
		transport: MailTransportName;
		from: string;
		apiKey?: string;
		apiBase: string;
	};
	adminToken?: string;
	/** Development-only checkout stand-in and outbox viewer. Never with a live key. */
	devTools: boolean;
	problems: ConfigProblem[];
}

/**
 * Signs the dev checkout stand-in's events when nothing else is configured, so
 * a fresh clone walks the whole flow offline. Only ever used with no Stripe key.
 */
export const DEV_WEBHOOK_SECRET = "whsec_local_development_only";

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

function value(raw: unknown): string | undefined {
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
	const devTools = value(env.DEV_TOOLS) === "1" && mode === "unconfigured" && detected !== "invalid";
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

	const plans = new Map<string, Plan>();
	try {
		const parsed = JSON.parse(value(env.PLANS) ?? "{}") as Record<string, unknown>;
		for (const [code, entry] of Object.entries(parsed)) {
			if (typeof entry === "string") {
				plans.set(code, { code, priceId: entry, name: code });
			} else if (entry && typeof entry === "object" && typeof (entry as { price?: unknown }).price === "string") {
				const e = entry as { price: string; name?: unknown; price_display?: unknown };
				plans.set(code, {
					code,
					priceId: e.price,
					name: typeof e.name === "string" ? e.name : code,
					priceDisplay: typeof e.price_display === "string" ? e.price_display : undefined,
				});
			} else {
				problems.push({ name: "plans", hint: `PLANS["${code}"] must be a price id or {"price": "price_…"}` });
			}
		}
	} catch {
		problems.push({ name: "plans", hint: 'PLANS is not valid JSON: expected {"plan_code": "price_…"}' });
	}
	if (plans.size === 0 && !problems.some((p) => p.name === "plans")) {
		problems.push({ name: "plans", hint: 'PLANS is empty: set it to {"plan_code": "price_…"}' });
	}

	const appUrl = (value(env.APP_URL) ?? "").replace(/\/+$/, "");
	if (!/^https?:\/\/[^/]+/.test(appUrl)) {
		problems.push({ name: "app_url", hint: "APP_URL must be the site's origin, e.g. https://onboarding.example.com" });
	} else if (mode === "live" && !appUrl.startsWith("https://")) {
		problems.push({ name: "app_url", hint: "APP_URL must be https:// in live mode" });
	}

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

	return {
		mode,
		stripeKey: detected === "invalid" ? undefined : stripeKey,
		stripeApiBase: (value(env.STRIPE_API_BASE) ?? "https://api.stripe.com").replace(/\/+$/, ""),
		webhookSecretSource,
		webhookSecrets,
		plans,
		appUrl,
		supportEmail: value(env.SUPPORT_EMAIL) ?? "support@example.com",
		mail: {
			transport,
			from: value(env.MAIL_FROM) ?? "onboarding@example.com",
			apiKey: value(env.MAIL_API_KEY),
			apiBase: (value(env.MAIL_API_BASE) ?? "https://api.resend.com").replace(/\/+$/, ""),
		},
		adminToken: value(env.ADMIN_TOKEN),
		devTools,
		problems,
	};
}
