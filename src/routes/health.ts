// GET /api/health (mounted there): public, reveals the mode and whether config is sound,
// never a secret. The detailed checks are behind ADMIN_TOKEN (routes/admin/index.ts).
import { Hono } from "hono/tiny";
import { getConfig } from "../config";
import type { AppEnv } from "../http";

export const healthRoutes = new Hono<AppEnv>();

healthRoutes.get("/", (c) => {
	const config = getConfig(c.env);
	return c.json({ ok: config.problems.length === 0 && config.mode !== "unconfigured", mode: config.mode });
});
