// The Hono app: security headers, one sub-app per feature, and the single
// place where unexpected errors become a generic JSON 500.
// hono/tiny: its PatternRouter is a fraction of the default router's code and
// compiles nothing at start-up; for a few dozen routes a match costs microseconds.

import { HTTPException } from "hono/http-exception";
import { Hono } from "hono/tiny";
import { type AppContext, type AppEnv, jsonError } from "./http";
import { errorMessage, log } from "./log";
import { capJsonBody, requireJson, sameOriginOnly } from "./request-guards";
import { adminRoutes } from "./routes/admin";
import { checkoutRoutes, planRoutes } from "./routes/checkout";
import { healthRoutes } from "./routes/health";
import { portalRoutes } from "./routes/portal";
import { stripeWebhookRoutes } from "./routes/stripe-webhook";
import { accessRoutes } from "./routes/v1/access";

export const app = new Hono<AppEnv>();

// API answers are JSON: these are the headers that matter for JSON (pages get
// the full set from public/_headers). Set before the handler runs so they are
// part of the response as it is built; Hono's secureHeaders sets them on the
// finished response, which measured ~0.4 ms more per request under wrangler dev
// on the two hot routes (the webhook, the status poll).
const API_SECURITY_HEADERS = {
	"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
	"X-Content-Type-Options": "nosniff",
	"Referrer-Policy": "no-referrer",
	// HSTS only means something over https; browsers ignore it on http.
	"Strict-Transport-Security": "max-age=31536000; includeSubDomains",
	// Answers carry tokens, sessions and customer state; a route that can be cached says so itself.
	"Cache-Control": "no-store",
};

app.use("*", async (c, next) => {
	for (const [name, value] of Object.entries(API_SECURITY_HEADERS)) c.header(name, value);
	await next();
});

// Every POST but Stripe's webhook (raw body, its own 1 MiB cap and signature):
// capped and JSON only. Cookie-carrying routes also refuse cross-site posts;
// the admin and access APIs authenticate with a bearer header no other site can send.
app.on("POST", ["/api/checkout", "/api/portal/*"], sameOriginOnly);
app.on("POST", ["/api/checkout", "/api/portal/*", "/api/admin/*", "/api/v1/*", "/api/dev/*"], capJsonBody, requireJson);

// One sub-app per URL prefix: the path names the file (src/routes/…);
// /api/v1 is the operator's own app's API.
app.route("/api/webhook", stripeWebhookRoutes);
app.route("/api/webhooks", stripeWebhookRoutes);
app.route("/api/checkout", checkoutRoutes);
app.route("/api/plans", planRoutes);
app.route("/api/portal", portalRoutes);
app.route("/api/admin", adminRoutes);
app.route("/api/health", healthRoutes);
app.route("/api/v1", accessRoutes);
// Development tools under /dev and /api/dev, built only for local work (the
// define in wrangler.toml): in a deployed bundle this block and the module it
// loads do not exist. Even where built, they answer 404 unless dev tools are on.
if (__DEV_TOOLS_BUILD__) {
	const dev = async (c: AppContext) => (await import("./routes/dev")).devRoutes.fetch(c.req.raw, c.env, c.executionCtx);
	app.all("/dev/*", dev);
	app.all("/api/dev/*", dev);
}

app.notFound((c) => jsonError(c, 404, "not_found", "No such route."));

app.onError((error, c) => {
	if (error instanceof HTTPException && error.status < 500) {
		return jsonError(c, error.status, "bad_request", error.message || "Bad request.");
	}
	log("REQUEST_FAILED", { method: c.req.method, path: new URL(c.req.url).pathname, error: errorMessage(error) });
	return jsonError(c, 500, "internal_error", "Something went wrong on our side. Please try again.");
});
