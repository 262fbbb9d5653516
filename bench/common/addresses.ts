// The client address each simulated customer comes from.

/**
 * Each simulated customer comes from its own address, as real ones do: the
 * worker rate-limits checkout and status polls per CF-Connecting-IP, which
 * miniflare passes through when the client sets it, and counts an IPv6 client
 * by its /64, so each customer gets a /64 of its own. Only a header value
 * (2001:db8::/32, the documentation prefix); all traffic stays on loopback.
 */
export function clientIp(index: number): string {
	const n = index + 1;
	return `2001:db8:${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}::1`;
}
