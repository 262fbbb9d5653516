// /api/v1/access: the operator's app asks who may use it, by email or by CRN.
// Behind APP_API_KEY (auth.ts). Answers are never cached (app.ts sends no-store
// on every API answer): a cached "active" would outlive a refund.
import { Hono } from "hono/tiny";
import { deps } from "../../deps";
import { type AppEnv, jsonError } from "../../http";
import { accessByCrn, accessByEmail } from "../../operations/access-api";
import { parseEmail } from "../../rules/email-address";
import { requireAppKey } from "./auth";

export const accessRoutes = new Hono<AppEnv>();

accessRoutes.use("*", requireAppKey);

accessRoutes.get("/access", async (c) => {
	const email = parseEmail(c.req.query("email"));
	if (!email) return jsonError(c, 400, "invalid_email", "Pass ?email= with an email address.");
	const { db, config, clock } = deps(c.env);
	return c.json(await accessByEmail(db, email, config, clock()));
});

accessRoutes.get("/access/:crn", async (c) => {
	// A CRN is read out over the phone and typed back: its letters are upper case whatever the caller typed.
	const crn = c.req.param("crn").trim().toUpperCase();
	const { db, config, clock } = deps(c.env);
	const view = await accessByCrn(db, crn, config, clock());
	return view ? c.json(view) : jsonError(c, 404, "not_found", "No plan with this CRN.");
});
