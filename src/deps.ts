// Wiring for every entry point (fetch, queue, scheduled): this isolate's config
// and the collaborators built from it. Handlers take only the parts they need,
// so tests can hand a domain function its own clock, queue or mailer.
import { type Config, getConfig } from "./config";
import { type Db, database } from "./db/database";
import { createMailer, type Mailer } from "./mail/mailer";
import type { ProvisioningQueue } from "./onboarding/queue-message";
import type { StripeApi } from "./stripe/api";
import { stripeFor } from "./stripe/client";

export type Clock = () => number;

export interface Deps {
	config: Config;
	db: Db;
	queue: ProvisioningQueue;
	/** null when no usable Stripe key is configured. */
	stripe: StripeApi | null;
	mailer: Mailer;
	clock: Clock;
}

// One per environment object (one per isolate in production): the hot routes
// build nothing per request.
const built = new WeakMap<Env, Deps>();

export function deps(env: Env, clock: Clock = Date.now): Deps {
	let d = built.get(env);
	if (!d) {
		const config = getConfig(env);
		const db = database(env.DB);
		d = {
			config,
			db,
			queue: env.WORK_QUEUE,
			stripe: stripeFor(config),
			mailer: createMailer(config, db),
			clock: Date.now,
		};
		built.set(env, d);
	}
	return clock === d.clock ? d : { ...d, clock };
}
