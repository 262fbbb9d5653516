// The operator's own app: where its Standard Webhooks go (APP_WEBHOOK_URL),
// what signs them (APP_WEBHOOK_SECRET) and the key of the access API
// (APP_API_KEY). A bad value is a listed problem and that part stays off.
import { parseWebhookSecret } from "./app-webhooks/signature";
import { type ConfigProblem, type StripeMode, value } from "./config";
import { timingSafeEqualStrings } from "./crypto";
import { isHttps, isLoopbackOrigin } from "./origins";

export interface AppConfig {
	/** Only when deliveries may go there: https, or a loopback receiver outside live mode. */
	webhookUrl?: string;
	/** Only when well formed: `whsec_` + base64 of 24 to 64 bytes. */
	webhookSecret?: string;
	/** Only when long enough to be unguessable and not ADMIN_TOKEN (the app must not hold the console). */
	apiKey?: string;
	/** ALERT_WEBHOOK_URL: where the cron tells the operator about problems (Slack or Discord JSON). */
	alertUrl?: string;
}

/** Like ADMIN_TOKEN: `openssl rand -hex 32` gives 64 characters. */
export const MIN_APP_API_KEY_LENGTH = 32;

const SECRET_HINT =
	"wrangler secret put APP_WEBHOOK_SECRET with whsec_ and a base64 key of 24 to 64 bytes (echo whsec_$(openssl rand -base64 32))";

function isHttpUrl(url: string): boolean {
	try {
		const { protocol } = new URL(url);
		return protocol === "https:" || protocol === "http:";
	} catch {
		return false;
	}
}

export function parseAppConfig(
	env: Pick<Env, "APP_WEBHOOK_URL" | "APP_WEBHOOK_SECRET" | "APP_API_KEY" | "ALERT_WEBHOOK_URL">,
	mode: StripeMode,
	adminToken: string | undefined,
	problems: ConfigProblem[],
): AppConfig {
	const app: AppConfig = {};
	const url = value(env.APP_WEBHOOK_URL);
	const secretRaw = value(env.APP_WEBHOOK_SECRET);
	const secret = secretRaw && parseWebhookSecret(secretRaw) ? secretRaw : undefined;
	if (secret) app.webhookSecret = secret;

	if (url) {
		// Deliveries carry customers' emails and access: plain http only to a receiver on this machine.
		const loopback = isLoopbackOrigin(url);
		if (!isHttpUrl(url)) {
			problems.push({
				name: "app_webhook",
				hint: `APP_WEBHOOK_URL "${url}" is not an http(s) URL: no webhooks are sent`,
			});
		} else if (mode === "live" && (!isHttps(url) || loopback)) {
			problems.push({
				name: "app_webhook",
				hint: `APP_WEBHOOK_URL ${url} is not a public https URL: live mode sends no webhooks until it is`,
			});
		} else if (!isHttps(url) && !loopback) {
			problems.push({
				name: "app_webhook",
				hint: `APP_WEBHOOK_URL ${url} is plain http: use https (http only to a loopback receiver in local work)`,
			});
		} else {
			app.webhookUrl = url;
		}
		if (!secret) {
			problems.push({
				name: "app_webhook",
				hint: secretRaw
					? `APP_WEBHOOK_SECRET is not well formed: ${SECRET_HINT}`
					: `APP_WEBHOOK_URL is set but APP_WEBHOOK_SECRET is not: ${SECRET_HINT}`,
			});
		}
	}

	const apiKey = value(env.APP_API_KEY);
	if (apiKey && apiKey.length < MIN_APP_API_KEY_LENGTH) {
		// Refused rather than used: a short key is guessable, and the API answers 503 until it is replaced.
		problems.push({
			name: "app_api_key",
			hint: `APP_API_KEY has ${apiKey.length} characters; use at least ${MIN_APP_API_KEY_LENGTH} (openssl rand -hex 32): the access API is off until then`,
		});
	} else if (apiKey && adminToken && timingSafeEqualStrings(apiKey, adminToken)) {
		// The app's server would hold the operator's console: the key must be one of its own.
		problems.push({
			name: "app_api_key",
			hint: "APP_API_KEY is the same as ADMIN_TOKEN: give the app a key of its own (openssl rand -hex 32); the access API is off until then",
		});
	} else if (apiKey) {
		app.apiKey = apiKey;
	}

	const alertUrl = value(env.ALERT_WEBHOOK_URL);
	if (alertUrl) {
		// Alerts name customers' CRNs and errors: https, or plain http to a receiver on this machine outside live mode.
		const local = isLoopbackOrigin(alertUrl) && mode !== "live";
		if (isHttpUrl(alertUrl) && (isHttps(alertUrl) || local)) app.alertUrl = alertUrl;
		else
			problems.push({
				name: "alerts",
				hint: `ALERT_WEBHOOK_URL ${alertUrl} is not an https URL: no alerts are sent until it is`,
			});
	}
	return app;
}
