// Steering and reading the Stripe and mail-provider stand-in from a test.
import { env } from "cloudflare:workers";

/** The stand-in's recorded requests whose content includes `contains`. */
export async function standInRequests(contains: string) {
	const response = await fetch(`${env.STAND_IN_URL}/__control/requests?contains=${encodeURIComponent(contains)}`);
	return (await response.json()) as Array<{
		method: string;
		path: string;
		form: Record<string, string>;
		headers: Record<string, string>;
		query: Record<string, string>;
		json: unknown;
	}>;
}

export async function standInControl(path: string, body: unknown) {
	const response = await fetch(`${env.STAND_IN_URL}/__control/${path}`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify(body),
	});
	return response.json();
}
