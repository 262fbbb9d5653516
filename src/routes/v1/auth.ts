// The bearer check every /api/v1 route sits behind (used once, in access.ts):
// APP_API_KEY, a key of the app's own (never ADMIN_TOKEN: config drops one
// equal to it).
import { requireBearer } from "../bearer-auth";

export const requireAppKey = requireBearer({
	expected: (config) => config.app.apiKey,
	limiter: "ACCESS_AUTH_LIMITER",
	failedEvent: "ACCESS_AUTH_FAILED",
	disabled: {
		error: "access_api_disabled",
		message: "The access API is off: wrangler secret put APP_API_KEY (at least 32 characters, not ADMIN_TOKEN).",
	},
	unauthorized: "A valid APP_API_KEY bearer token is required.",
});
