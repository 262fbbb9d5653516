// The bearer check every /api/admin route sits behind (used once, in
// admin/index.ts), so a new admin route cannot forget it: ADMIN_TOKEN.
import { requireBearer } from "../bearer-auth";

export const requireAdmin = requireBearer({
	expected: (config) => config.adminToken,
	limiter: "ADMIN_AUTH_LIMITER",
	failedEvent: "ADMIN_AUTH_FAILED",
	disabled: { error: "admin_disabled", message: "ADMIN_TOKEN is not set: wrangler secret put ADMIN_TOKEN" },
	unauthorized: "A valid admin bearer token is required.",
});
