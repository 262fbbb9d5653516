// Guards in front of every JSON POST route: a body cap, JSON only, and no
// cross-site form posts. Each refusal is a JSON error with its own code and a
// log line, and none of them reads more of the body than the cap.
import { bodyLimit } from "hono/body-limit";
import { csrf } from "hono/csrf";
import { createMiddleware } from "hono/factory";
import { HTTPException } from "hono/http-exception";
import { type AppEnv, jsonError } from "./http";
import { log } from "./log";

/** The largest JSON body a customer or operator route accepts (the webhook has its own 1 MiB). */
export const MAX_JSON_BODY_BYTES = 8 * 1024;

export const capJsonBody = bodyLimit({
	maxSize: MAX_JSON_BODY_BYTES,
	onError: (c) => {
		log("REQUEST_REJECTED", { reason: "payload_too_large", path: new URL(c.req.url).pathname });
		return jsonError(c, 413, "payload_too_large", `The request body must be under ${MAX_JSON_BODY_BYTES / 1024} KiB.`);
	},
});

/**
 * A body must be JSON. Browsers send text/plain and form bodies cross-site
 * without a preflight; JSON they do not, so this also closes that door.
 */
export const requireJson = createMiddleware<AppEnv>(async (c, next) => {
	const hasBody = c.req.header("content-length") !== "0" && c.req.raw.body !== null;
	const type = c.req.header("content-type") ?? "";
	if (hasBody && !/^application\/json\b/i.test(type)) {
		log("REQUEST_REJECTED", { reason: "unsupported_media_type", path: new URL(c.req.url).pathname });
		return jsonError(c, 415, "unsupported_media_type", "Send the request body as application/json.");
	}
	await next();
});

const honoCsrf = csrf();

/** Cookie-carrying routes: a form post from another site is refused (Hono's csrf: Origin / Sec-Fetch-Site). */
export const sameOriginOnly = createMiddleware<AppEnv>(async (c, next) => {
	try {
		await honoCsrf(c, next);
	} catch (error) {
		if (!(error instanceof HTTPException) || error.status !== 403) throw error;
		log("REQUEST_REJECTED", { reason: "cross_site_request", path: new URL(c.req.url).pathname });
		return jsonError(c, 403, "cross_site_request", "Requests from other sites are not accepted.");
	}
});
