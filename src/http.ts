// The wire shape of every API error: {"error": code, "message": text}, plus
// optional field errors. Routes call these; nothing else writes error JSON.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export type AppEnv = { Bindings: Env };
export type AppContext = Context<AppEnv>;

export function jsonError(
	c: Context,
	status: ContentfulStatusCode,
	error: string,
	message: string,
	extra: Record<string, unknown> = {},
) {
	return c.json({ error, message, ...extra }, status);
}

/** Reads a JSON object body; null when it is not one. */
export async function readJsonObject(c: Context): Promise<Record<string, unknown> | null> {
	try {
		const body = (await c.req.json()) as unknown;
		return body && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
	} catch {
		return null;
	}
}
