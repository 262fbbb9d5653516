// The pure half of `npm run seed`: a realistic last day of onboarding as SQL
// for local D1, so /admin shows every panel on first open. Paid and onboarded
// customers, a returning one, a failed job with its error, a past-due plan, a
// refunded one, a disputed one, checkouts still open, the Stripe ledger and
// deliveries to the operator's app, spread over the 24 hours before `now`.
// Every row id starts with `seed_` (CRNs with CRN-SEED): a second run replaces them.

const HOUR = 3_600_000;
const MINUTE = 60_000;

type Value = string | number | null;
export type Row = Record<string, Value>;

/** One INSERT per row, in an order the foreign keys accept. */
export interface SeedTable {
	table: string;
	rows: Row[];
}

function literal(v: Value): string {
	if (v === null) return "null";
	if (typeof v === "number") return String(Math.round(v));
	return `'${v.replaceAll("'", "''")}'`;
}

interface Customer {
	key: string;
	name: string;
	email: string;
	plan: string;
	/** Hours before now the checkout started. */
	at: number;
	mode?: "subscription" | "payment";
	paid?: boolean;
	job?: "WELCOME_EMAIL_SENT" | "FAILED" | "PROVISIONING_STARTED" | "PAYMENT_CONFIRMED";
	jobError?: string;
	/** Another plan's login: a returning customer. */
	loginOf?: string;
	subscription?: string;
	extra?: Row;
}

const FAILED_MAIL =
	"Resend answered 422 validation_error: The onboarding@example.com domain is not verified. Please add and verify your domain.";

const CUSTOMERS: Customer[] = [
	{
		key: "ada",
		name: "Ada Lovelace",
		email: "ada@example.com",
		plan: "starter",
		at: 22,
		paid: true,
		job: "WELCOME_EMAIL_SENT",
	},
	{
		key: "grace",
		name: "Grace Hopper",
		email: "grace@example.com",
		plan: "pro",
		at: 18,
		paid: true,
		job: "WELCOME_EMAIL_SENT",
	},
	{
		key: "linus",
		name: "Linus T.",
		email: "linus@example.com",
		plan: "starter",
		at: 20,
		paid: true,
		job: "WELCOME_EMAIL_SENT",
	},
	// The same email buying again: one login, two plans.
	{
		key: "linus_pro",
		name: "Linus T.",
		email: "linus@example.com",
		plan: "pro",
		at: 3,
		paid: true,
		job: "WELCOME_EMAIL_SENT",
		loginOf: "linus",
	},
	{
		key: "margaret",
		name: "Margaret Hamilton",
		email: "margaret@example.com",
		plan: "pro",
		at: 5,
		paid: true,
		job: "FAILED",
		jobError: FAILED_MAIL,
	},
	{
		key: "alan",
		name: "Alan Turing",
		email: "alan@example.com",
		plan: "starter",
		at: 14,
		paid: true,
		job: "WELCOME_EMAIL_SENT",
		subscription: "past_due",
		extra: {
			invoice_status: "payment_failed",
			open_invoice_url: "https://invoice.stripe.com/i/acct_seed/test_seed_alan",
		},
	},
	{
		key: "barbara",
		name: "Barbara Liskov",
		email: "barbara@example.com",
		plan: "lifetime",
		mode: "payment",
		at: 12,
		paid: true,
		job: "WELCOME_EMAIL_SENT",
	},
	{
		key: "donald",
		name: "Donald Knuth",
		email: "donald@example.com",
		plan: "pro",
		at: 9,
		paid: true,
		job: "WELCOME_EMAIL_SENT",
	},
	{
		key: "edsger",
		name: "Edsger Dijkstra",
		email: "edsger@example.com",
		plan: "starter",
		at: 0.05,
		paid: true,
		job: "PAYMENT_CONFIRMED",
	},
	// Stuck: claimed 40 minutes ago and never finished; the console lists it under attention.
	{
		key: "frances",
		name: "Frances Allen",
		email: "frances@example.com",
		plan: "pro",
		at: 0.75,
		paid: true,
		job: "PROVISIONING_STARTED",
	},
	{ key: "ken", name: "Ken Thompson", email: "ken@example.com", plan: "starter", at: 0.5 },
	{
		key: "radia",
		name: "Radia Perlman",
		email: "radia@example.com",
		plan: "pro",
		at: 7,
		extra: { checkout_status: "expired" },
	},
];

/** The rows of the day ending at `now`, table by table, parents first. */
export function seedTables(now: number): SeedTable[] {
	const t = (hoursAgo: number, plusMinutes = 0) => now - hoursAgo * HOUR + plusMinutes * MINUTE;
	const clients: Row[] = [];
	const jobs: Row[] = [];
	const users: Row[] = [];
	const logins: Row[] = [];
	const events: Row[] = [];
	const deliveries: Row[] = [];
	const disputes: Row[] = [];
	const outbox: Row[] = [];
	let n = 0;
	const event = (type: string, at: number, clientId: string | null, deliveriesCount = 1) => {
		n++;
		events.push({
			id: `evt_seed_${String(n).padStart(3, "0")}`,
			type,
			livemode: 0,
			event_created: Math.floor(at / 1000),
			client_id: clientId,
			nonce: `seed_nonce_${n}`,
			received_at: at + 400,
			deliveries: deliveriesCount,
		});
	};
	for (const [i, c] of CUSTOMERS.entries()) {
		const id = `seed_client_${c.key}`;
		// CRNs use 2-9 and A-Z without look-alikes; the letters keep each seeded one distinct.
		const letter = "ABCDEFGHJKLMNPQRSTUVWXYZ"[i] ?? "Z";
		const crn = `CRN-SEED-${letter.repeat(4)}`;
		const created = t(c.at);
		const paidAt = c.paid ? created + 2 * MINUTE : null;
		const mode = c.mode ?? "subscription";
		const subscription = c.paid && mode === "subscription" ? (c.subscription ?? "active") : null;
		clients.push({
			id,
			crn,
			email: c.email,
			name: c.name,
			plan_code: c.plan,
			onboarding_token_hash: `seed${String(i).padStart(60, "0")}`,
			checkout_session_id: `cs_test_seed_${c.key}`,
			checkout_status: c.paid ? "complete" : "open",
			payment_status: c.paid ? "paid" : "unpaid",
			paid_at: paidAt,
			returned_at: paidAt,
			stripe_customer_id: c.paid ? `cus_seed_${c.loginOf ?? c.key}` : null,
			subscription_id: subscription ? `sub_seed_${c.key}` : null,
			subscription_status: subscription,
			subscription_event_at: paidAt ? Math.floor(paidAt / 1000) : null,
			mode,
			payment_intent_id: mode === "payment" && c.paid ? `pi_seed_${c.key}` : null,
			current_period_end: subscription ? created + 30 * 24 * HOUR : null,
			past_due_since: subscription === "past_due" ? t(2) : null,
			created_at: created,
			updated_at: paidAt ?? created,
			...c.extra,
		});
		if (!c.paid) {
			if (c.extra?.checkout_status === "expired") event("checkout.session.expired", t(c.at - 1), id);
			continue;
		}
		const paid = paidAt ?? created;
		event("checkout.session.completed", paid, id);
		if (mode === "subscription") event("invoice.paid", paid + 1000, id);
		const done = c.job === "WELCOME_EMAIL_SENT" ? paid + 1400 : null;
		jobs.push({
			id: `seed_job_${c.key}`,
			client_id: id,
			state: c.job ?? "PAYMENT_CONFIRMED",
			attempts: c.job === "FAILED" ? 5 : c.job === "PAYMENT_CONFIRMED" ? 0 : 1,
			last_error: c.jobError ?? null,
			checkout_session_id: `cs_test_seed_${c.key}`,
			source: "webhook",
			queued_at: paid,
			completed_at: done,
			created_at: paid,
			updated_at: c.job === "FAILED" ? paid + 11 * MINUTE : (done ?? paid),
		});
		if (c.job !== "WELCOME_EMAIL_SENT") continue;
		const userId = `seed_user_${c.loginOf ?? c.key}`;
		if (!c.loginOf) {
			users.push({
				id: userId,
				client_id: id,
				email: c.email,
				// No password: a seeded login is for looking at, not for logging in.
				password_set_at: paid + 5 * MINUTE,
				stripe_customer_id: `cus_seed_${c.key}`,
				created_at: paid + 1000,
			});
			outbox.push({
				id: `seed_mail_${c.key}`,
				idempotency_key: `welcome-seed_job_${c.key}`,
				to_address: c.email,
				subject: "Your portal is ready",
				text_body: `Hello ${c.name},\n\nyour ${c.plan} plan is active. (Seeded example: no link.)\n`,
				created_at: paid + 1200,
			});
		}
		logins.push({ id, user_id: userId });
		const onboarded = {
			type: "customer.onboarded",
			timestamp: new Date(done ?? paid).toISOString(),
			data: { crn, email: c.email, name: c.name, plan_code: c.plan, access: "active", reason: "paid" },
		};
		deliveries.push({
			id: `seed_msg_onboarded_${c.key}`,
			type: "customer.onboarded",
			client_id: id,
			crn,
			payload: JSON.stringify(onboarded),
			status: "delivered",
			attempts: 1,
			last_status: 204,
			delivered_at: (done ?? paid) + 300,
			created_at: done ?? paid,
			updated_at: (done ?? paid) + 300,
		});
	}
	const client = (key: string) => clients.find((c) => c.id === `seed_client_${key}`) ?? {};
	const changed = (key: string, access: string, reason: string, at: number, row: Row) => {
		const c = client(key);
		deliveries.push({
			id: `seed_msg_access_${key}`,
			type: "access.changed",
			client_id: String(c.id),
			crn: String(c.crn),
			payload: JSON.stringify({
				type: "access.changed",
				timestamp: new Date(at).toISOString(),
				data: { crn: c.crn, email: c.email, plan_code: c.plan_code, access, reason, previous_access: "active" },
			}),
			created_at: at,
			updated_at: at,
			...row,
		});
	};
	// Past due: the renewal failed two hours ago, and the app's endpoint has not taken the news yet.
	event("invoice.payment_failed", t(2), "seed_client_alan");
	changed("alan", "past_due", "payment_failed", t(2), {
		status: "pending",
		attempts: 3,
		last_status: 503,
		last_error: "HTTP 503 from the receiver",
		next_attempt_at: t(0, 25),
	});
	// Refunded in full four hours ago.
	Object.assign(client("barbara"), { refunded_at: t(4), updated_at: t(4) });
	event("charge.refunded", t(4), "seed_client_barbara");
	changed("barbara", "ended", "refunded", t(4), {
		status: "delivered",
		attempts: 1,
		last_status: 204,
		delivered_at: t(4, 1),
	});
	// Disputed an hour and a half ago; Stripe delivered the event twice.
	Object.assign(client("donald"), { dispute_state: "open", updated_at: t(1.5) });
	disputes.push({
		id: "du_seed_donald",
		client_id: "seed_client_donald",
		status: "open",
		created_at: t(1.5),
		updated_at: t(1.5),
	});
	event("charge.dispute.created", t(1.5), "seed_client_donald", 2);
	// The app's receiver refused this one for more than a day's worth of retries.
	changed("donald", "suspended", "dispute_open", t(1.5), {
		status: "failed",
		attempts: 8,
		last_status: 410,
		last_error: "HTTP 410 from the receiver",
	});
	event("payment_intent.created", t(0.5), null);
	return [
		{ table: "clients", rows: clients },
		{ table: "users", rows: users },
		{ table: "jobs", rows: jobs },
		{ table: "webhook_events", rows: events },
		{ table: "disputes", rows: disputes },
		{ table: "app_deliveries", rows: deliveries },
		{ table: "outbox", rows: outbox },
		// clients.user_id and users.client_id point at each other: the logins are joined once both exist.
		{ table: "clients:user_id", rows: logins },
	];
}

/** Deletes the previous seed (children first) and inserts the day ending at `now`. */
export function seedSql(now: number): string {
	const tables = seedTables(now);
	const lines = [
		"-- Generated by npm run seed (scripts/seed-sql.ts): demo data for local D1 only.",
		"update clients set user_id = null where id like 'seed\\_%' escape '\\';",
		// Children first; rows the running service added for seeded customers (links, sessions, a retried job) go too.
		...[
			["app_deliveries", "client_id"],
			["disputes", "client_id"],
			["webhook_events", "client_id"],
			["jobs", "client_id"],
			["password_tokens", "user_id"],
			["sessions", "user_id"],
			["outbox", "id"],
			["users", "id"],
			["clients", "id"],
		].map(([table, column]) => `delete from ${table} where ${column} like 'seed\\_%' escape '\\';`),
		"delete from webhook_events where id like 'evt\\_seed\\_%' escape '\\';",
	];
	for (const { table, rows } of tables) {
		if (table === "clients:user_id") {
			for (const row of rows)
				lines.push(
					`update clients set user_id = ${literal(row.user_id ?? null)} where id = ${literal(row.id ?? null)};`,
				);
			continue;
		}
		for (const row of rows) {
			const columns = Object.keys(row);
			lines.push(
				`insert into ${table} (${columns.join(", ")}) values (${columns.map((c) => literal(row[c] ?? null)).join(", ")});`,
			);
		}
	}
	return `${lines.join("\n")}\n`;
}
