// Starts the Stripe and mail-provider stand-in once for the whole run and
// hands its URL to the Workers pool (vitest.config.ts) and to tests.
import type { TestProject } from "vitest/node";
import { startStandIn } from "./support/stand-in/server.ts";

declare module "vitest" {
	export interface ProvidedContext {
		standInUrl: string;
	}
}

export default async function setup(project: TestProject) {
	const { url, close } = await startStandIn();
	project.provide("standInUrl", url);
	return close;
}
