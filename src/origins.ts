// What kind of origin a configured URL is: loopback (local work only), or a
// public https origin a customer's browser and Stripe's servers can reach.

const LOOPBACK_HOST = /^(localhost|[a-z0-9-]+\.localhost|127(\.\d{1,3}){3}|\[::1\])$/i;
// RFC 1918, link-local, CGNAT and unique-local addresses, and names that never resolve publicly.
const PRIVATE_HOST =
	/^(10(\.\d{1,3}){3}|192\.168(\.\d{1,3}){2}|172\.(1[6-9]|2\d|3[01])(\.\d{1,3}){2}|169\.254(\.\d{1,3}){2}|100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])(\.\d{1,3}){2}|0\.0\.0\.0|\[f[cd][0-9a-f:]*\]|\[fe80:[0-9a-f:]*\])$/i;
const PRIVATE_SUFFIX = /\.(local|internal|lan|home|test|invalid|example|localhost)$/i;

function hostOf(url: string): string | null {
	try {
		// "localhost." is "localhost": a fully qualified name's root dot changes nothing.
		return new URL(url).host.replace(/:\d+$/, "").replace(/\.$/, "");
	} catch {
		return null;
	}
}

export function isLoopbackOrigin(url: string): boolean {
	const host = hostOf(url);
	return host !== null && LOOPBACK_HOST.test(host);
}

export function isHttps(url: string): boolean {
	return url.startsWith("https://") && hostOf(url) !== null;
}

/** https, and a host that is neither loopback, private nor a name reserved for testing. */
export function isPublicHttpsOrigin(url: string): boolean {
	const host = hostOf(url);
	if (!isHttps(url) || host === null) return false;
	return host.includes(".") && !LOOPBACK_HOST.test(host) && !PRIVATE_HOST.test(host) && !PRIVATE_SUFFIX.test(host);
}

/**
 * Whether an API base may carry a secret key: `https`, or plain http only to a
 * loopback stand-in; with a live key, only the provider's own host, so a
 * misconfigured variable can never send a live key (or customers' emails) elsewhere.
 */
export function apiBaseUsable(url: string, live: boolean, ownHost: string): boolean {
	const host = hostOf(url);
	if (host === null) return false;
	if (live) return isHttps(url) && host.toLowerCase() === ownHost && !/:\d+$/.test(new URL(url).host);
	return isHttps(url) || (url.startsWith("http://") && LOOPBACK_HOST.test(host));
}
