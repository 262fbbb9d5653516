// The bearer check every /api/admin route sits behind (used once, in
// admin/index.ts), so a new admin route cannot forget it: ADMIN_TOKEN.
import { DEV_ADMIN_TOKEN } from "../../config";
import { isLoopbackOrigin } from "../../origins";
import { requireBearer } from "../bearer-auth";

export const requireAdmin = requireBearer({
	expected: (config, requestUrl) => {
		// The development token is public (README): it opens nothing unless dev tools
		// are on (no Stripe key, a loopback APP_URL) and this request reached a loopback host.
		const devTokenAllowed = config.devTools && isLoopbackOrigin(requestUrl);
		return config.adminToken === DEV_ADMIN_TOKEN && !devTokenAllowed ? undefined : config.adminToken;
	},
	limiter: "ADMIN_AUTH_LIMITER",
	failedEvent: "ADMIN_AUTH_FAILED",
	disabled: { error: "admin_disabled", message: "ADMIN_TOKEN is not set: wrangler secret put ADMIN_TOKEN" },
	unauthorized: "A valid admin bearer token is required.",
});
