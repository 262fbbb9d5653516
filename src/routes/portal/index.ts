// /api/portal: everything the customer's pages call. One file per feature:
// the onboarding read model, the login, set-password links, billing.
import { Hono } from "hono/tiny";
import type { AppEnv } from "../../http";
import { accountRoutes } from "./accounts";
import { billingRoutes } from "./billing";
import { linkRoutes } from "./links";
import { setupStatusRoutes } from "./setup-status";

export const portalRoutes = new Hono<AppEnv>()
	.route("/", setupStatusRoutes)
	.route("/", accountRoutes)
	.route("/", linkRoutes)
	.route("/", billingRoutes);
