// Configuration checks for the operator's own app: the webhook endpoint and its
// secret, and the access API key. Both are optional, so unset passes with a
// hint saying what turning it on gives; a bad value fails with the fix.
import type { Config } from "../config";
import { recentAttemptFailures } from "../db/app-deliveries";
import type { Db } from "../db/database";
import type { Check } from "./doctor";

function webhookCheck(config: Config): Check {
	const name = "app_webhook";
	const problem = config.problems.find((p) => p.name === name);
	if (problem) return { name, ok: false, hint: problem.hint };
	const { webhookUrl } = config.app;
	return webhookUrl
		? { name, ok: true, hint: `customer.onboarded and access.changed are signed and sent to ${webhookUrl}` }
		: {
				name,
				ok: true,
				hint: "APP_WEBHOOK_URL is not set: no webhooks go to your app (optional; set it and APP_WEBHOOK_SECRET to send them)",
			};
}

function apiKeyCheck(config: Config): Check {
	const name = "app_api_key";
	const problem = config.problems.find((p) => p.name === name);
	if (problem) return { name, ok: false, hint: problem.hint };
	return config.app.apiKey
		? { name, ok: true, hint: "APP_API_KEY is set: GET /api/v1/access answers your app's server" }
		: {
				name,
				ok: true,
				hint: "APP_API_KEY is not set: /api/v1/access answers 503 (optional; wrangler secret put APP_API_KEY to turn it on)",
			};
}

export function appChecks(config: Config): Check[] {
	return [webhookCheck(config), apiKeyCheck(config)];
}

const HOUR_MS = 3_600_000;

/** The app's receiver over the last hour: failing and nothing delivered fails the check. */
export async function appDeliveryCheck(db: Db, config: Pick<Config, "app">, now: number): Promise<Check> {
	const name = "app_deliveries";
	if (!config.app.webhookUrl) return { name, ok: true, hint: "no webhooks go to your app" };
	const { attempted, failing, delivered } = await recentAttemptFailures(db, now - HOUR_MS);
	if (failing > 0 && delivered === 0) {
		return {
			name,
			ok: false,
			hint: `${failing} deliver${failing === 1 ? "y" : "ies"} to ${config.app.webhookUrl} failed in the last hour and none succeeded: check that your app is up and verifies with APP_WEBHOOK_SECRET (console: Deliveries to your app)`,
		};
	}
	if (failing > 0) {
		return {
			name,
			ok: true,
			warn: true,
			hint: `${failing} of ${attempted} deliveries in the last hour are failing or retrying`,
		};
	}
	return {
		name,
		ok: true,
		hint: attempted > 0 ? `${delivered} delivered in the last hour` : "no deliveries in the last hour",
	};
}
