// Stripe's form encoding, declared once for the worker's REST calls and the
// Node scripts (`npm run stripe:setup`, the doctor's --fix): a leaf module.

/** Stripe's form encoding: nested keys as a[b][0][c]=v. */
export function encodeForm(params: object): string {
	const pairs: string[] = [];
	const walk = (prefix: string, value: unknown) => {
		if (value === undefined || value === null) return;
		if (Array.isArray(value)) {
			for (const [i, v] of value.entries()) walk(`${prefix}[${i}]`, v);
		} else if (typeof value === "object") {
			for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}[${k}]` : k, v);
		} else {
			pairs.push(`${encodeURIComponent(prefix)}=${encodeURIComponent(String(value))}`);
		}
	};
	walk("", params);
	return pairs.join("&");
}
