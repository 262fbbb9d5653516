// The customer's side of the portal API, as a browser would call it.
import { api } from "./worker";

const ORIGIN = { origin: "http://worker" };

export function setPassword(token: string, password: string) {
	return api("/api/portal/password", { method: "POST", json: { token, password } });
}

/** The session cookie a response set, as a `cookie` header value. */
export function cookieOf(response: Response): string {
	return (response.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
}

export async function login(email: string, password: string) {
	const response = await api("/api/portal/login", { method: "POST", json: { email, password } });
	return { response, cookie: cookieOf(response) };
}

export async function me(cookie: string) {
	const response = await api("/api/portal/me", { headers: { cookie } });
	return {
		status: response.status,
		body: (await response.json()) as {
			email: string;
			subscriptions: Array<{ crn: string; plan_code: string; status: string | null; access: string }>;
			[key: string]: unknown;
		},
	};
}

export function requestReset(email: string, headers: Record<string, string> = {}) {
	return api("/api/portal/password-reset", { method: "POST", json: { email }, headers: { ...ORIGIN, ...headers } });
}

export function requestSetupLink(onboardingToken: string) {
	return api("/api/portal/setup-link", { method: "POST", json: { t: onboardingToken }, headers: ORIGIN });
}
