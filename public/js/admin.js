// Operator console: the admin JSON API with a bearer token kept in sessionStorage
// (never a URL or a cookie): health, plans by access, the last day, jobs needing
// attention, find a customer, webhook deliveries. Every action's result is
// announced in #announce.

import { $, NETWORK_MESSAGE, setBusy, setFieldError } from "./common.js";

const TOKEN_KEY = "admin-token";
/** What to say after the page reloads without a token. */
const NOTICE_KEY = "admin-console-notice";
const HOUR_MS = 3_600_000;
const WATCH_EVERY_MS = 1000;
const WATCH_FOR_MS = 60_000;
const ANNOUNCE_FOR_MS = 12_000;

// ---- token and API ----------------------------------------------------------

const getToken = () => sessionStorage.getItem(TOKEN_KEY) || "";

/**
 * Drops the token and starts a fresh page, so nothing the token could read
 * stays in the DOM and no watcher keeps polling with it.
 */
function signOut(notice) {
	sessionStorage.removeItem(TOKEN_KEY);
	sessionStorage.setItem(NOTICE_KEY, JSON.stringify(notice));
	location.reload();
}

function showTokenForm() {
	const notice = JSON.parse(sessionStorage.getItem(NOTICE_KEY) || "{}");
	sessionStorage.removeItem(NOTICE_KEY);
	$("token-card").hidden = false;
	if (notice.error) setFieldError($("token"), notice.error);
	if (notice.info) announce(notice.info);
	$("token").focus();
}

/** { ok, status, data }, status 0 when the network failed; a 401 asks for the token again. */
async function call(path, method = "GET", body = {}) {
	const token = getToken();
	const headers = { accept: "application/json", authorization: `Bearer ${token}` };
	if (method !== "GET") headers["content-type"] = "application/json";
	let res;
	try {
		res = await fetch(path, {
			method,
			headers,
			body: method === "GET" ? undefined : JSON.stringify(body),
			cache: "no-store",
		});
	} catch {
		return { ok: false, status: 0, data: null };
	}
	const data = await res.json().catch(() => null);
	if (res.status === 401 && getToken() === token) signOut({ error: "That token was not accepted. Paste it again." });
	return { ok: res.ok, status: res.status, data };
}

function failure(res, fallback) {
	if (res.status === 0) return NETWORK_MESSAGE;
	if (res.status === 429) return "Too many failed attempts from this address. Wait a minute.";
	return res.data?.message || fallback;
}

let announceTimer = 0;
function announce(text, tone = "") {
	const live = $("announce");
	clearTimeout(announceTimer);
	live.textContent = text;
	live.dataset.tone = tone;
	announceTimer = setTimeout(() => {
		live.textContent = "";
	}, ANNOUNCE_FOR_MS);
}

// ---- formatting and DOM helpers ---------------------------------------------

function duration(ms) {
	if (ms === null || ms === undefined) return "–";
	if (ms < 1000) return `${Math.round(ms)} ms`;
	const s = ms / 1000;
	if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
	const m = Math.floor(s / 60);
	if (m < 60) return `${m} min`;
	const h = Math.floor(m / 60);
	return h < 48 ? `${h} h ${m % 60} min` : `${Math.floor(h / 24)} days`;
}

function when(ms) {
	if (!ms) return "–";
	const d = new Date(ms);
	return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
}

const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/** A copy of <template id=…>'s first element. */
const fromTemplate = (id) => $(id).content.firstElementChild.cloneNode(true);

function setBadge(node, text, tone = "") {
	node.textContent = text;
	node.dataset.tone = tone;
	node.hidden = !text;
}

/** Fills a list with one <li> per item, or the list's data-empty text. */
function fillList(list, items, text) {
	const rows = items.map((item) => {
		const li = document.createElement("li");
		li.textContent = text(item);
		return li;
	});
	if (rows.length === 0) rows.push(Object.assign(document.createElement("li"), { textContent: list.dataset.empty }));
	list.replaceChildren(...rows);
}

/** Runs an action once per click, its button busy meanwhile. */
function onAction(button, busyLabel, run) {
	button.addEventListener("click", async () => {
		if (button.disabled) return;
		setBusy(button, true, busyLabel);
		await run();
		setBusy(button, false);
	});
}

// ---- health -----------------------------------------------------------------

const KIND = { fail: ["Fail", "bad", 0], warn: ["Warn", "warn", 1], pass: ["Pass", "good", 2] };
const kindOf = (check) => (!check.ok ? "fail" : check.warn ? "warn" : "pass");

async function loadHealth() {
	const res = await call("/api/admin/health");
	const summary = $("health-summary");
	if (!Array.isArray(res.data?.checks)) {
		summary.textContent = failure(res, "Could not run the checks.");
		return;
	}
	const checks = [...res.data.checks].sort((a, b) => KIND[kindOf(a)][2] - KIND[kindOf(b)][2]);
	const failing = checks.filter((c) => kindOf(c) === "fail").length;
	const warning = checks.filter((c) => kindOf(c) === "warn").length;
	summary.className = failing ? "health-bad" : "health-good";
	summary.textContent = `${failing ? `${failing} of ${checks.length} checks fail` : `All ${checks.length} checks pass`}${warning ? `, ${warning} with a warning` : ""}.`;
	setBadge($("health-mode"), `mode: ${res.data.mode}`, res.data.mode === "live" ? "good" : "warn");
	// Replaying fetches the event from Stripe: no key, no replay (the API would answer 503).
	$("events-card").dataset.stripe = res.data.mode === "unconfigured" ? "off" : "on";
	$("health-list").replaceChildren(
		...checks.map((check) => {
			const li = fromTemplate("check-template");
			const [label, tone] = KIND[kindOf(check)];
			li.dataset.name = check.name;
			li.dataset.kind = kindOf(check);
			setBadge(li.querySelector(".badge"), label, tone);
			li.querySelector(".check-name").textContent = check.name;
			li.querySelector(".check-hint").textContent = check.hint;
			return li;
		}),
	);
}

// ---- the last 24 hours ------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";
const BAR = 10;
const HEIGHT = 100;

function svg(tag, attrs = {}) {
	const node = document.createElementNS(SVG, tag);
	for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
	return node;
}

/** Stacked bars, one per hour, in the state order the API gives; each bar's <title> says its counts. */
function renderChart(hourly, states) {
	const counts = (bucket) => states.filter((s) => bucket[s]).map((s) => `${bucket[s]} ${s}`);
	const totals = hourly.map((b) => states.reduce((n, s) => n + b[s], 0));
	const max = Math.max(1, ...totals);
	const sums = states.map((s) => hourly.reduce((n, b) => n + b[s], 0));
	const plot = svg("svg", {
		class: "chart-svg",
		viewBox: `0 0 ${hourly.length * BAR} ${HEIGHT}`,
		preserveAspectRatio: "none",
		role: "img",
		"aria-label": `Jobs per hour, last 24 hours: ${states.map((s, i) => `${sums[i]} ${s}`).join(", ")}; busiest hour ${Math.max(...totals)}.`,
	});
	hourly.forEach((bucket, i) => {
		const group = svg("g", { "data-hour": i });
		const title = svg("title");
		title.textContent = `${clock(bucket.from)}–${clock(bucket.from + HOUR_MS)}: ${counts(bucket).join(", ") || "no jobs"}`;
		group.append(title, svg("rect", { class: "bar-hover", x: i * BAR, y: 0, width: BAR, height: HEIGHT }));
		let y = HEIGHT;
		for (const state of states) {
			const h = (bucket[state] / max) * (HEIGHT - 6);
			if (h === 0) continue;
			y -= h;
			group.append(svg("rect", { class: `bar bar-${state}`, x: i * BAR + 1.5, y, width: BAR - 3, height: h }));
		}
		plot.append(group);
	});
	plot.append(svg("line", { class: "baseline", x1: 0, x2: hourly.length * BAR, y1: HEIGHT, y2: HEIGHT }));
	const empty = Object.assign(document.createElement("p"), {
		className: "chart-empty muted small",
		textContent: "No jobs in the last 24 h",
	});
	$("chart").replaceChildren(plot, ...(totals.every((n) => n === 0) ? [empty] : []));
	$("chart-legend").replaceChildren(
		...states.map((state, i) => {
			const li = document.createElement("li");
			const swatch = Object.assign(document.createElement("span"), { className: `swatch bar-${state}` });
			li.append(swatch, `${state} ${sums[i]}`);
			return li;
		}),
		Object.assign(document.createElement("li"), {
			className: "muted",
			textContent: `busiest hour ${Math.max(...totals)}`,
		}),
	);
}

async function loadSummary() {
	const res = await call("/api/admin/summary");
	const s = res.data;
	if (!res.ok || !s) {
		$("latency").textContent = failure(res, "Could not load the last 24 hours.");
		return;
	}
	$("stat-started").textContent = s.checkouts_started;
	$("stat-paid").textContent = s.paid;
	$("stat-provisioned").textContent = s.provisioned;
	$("stat-failed").textContent = s.failed;
	$("stat-failed-box").dataset.tone = s.failed > 0 ? "bad" : "";
	renderChart(s.hourly, s.states);
	const p = s.payment_to_completed_ms;
	$("latency").textContent = p.count
		? `Payment to portal ready: p50 ${duration(p.p50)}, p95 ${duration(p.p95)} (${p.count} completed)`
		: "Payment to portal ready: no completions yet";
}

// ---- needs attention --------------------------------------------------------

async function loadAttention() {
	const res = await call("/api/admin/attention");
	if (!Array.isArray(res.data?.jobs)) {
		if (res.status !== 401) announce(failure(res, "Could not load the jobs that need attention."), "bad");
		return;
	}
	$("attention-intro").textContent =
		`Failed jobs, and jobs waiting untouched for more than ${duration(res.data.stuck_after_ms)} and not deferred.`;
	$("attention-empty").hidden = res.data.jobs.length > 0;
	$("attention-list").replaceChildren(
		...res.data.jobs.map((job) => {
			const li = fromTemplate("attention-template");
			const crn = li.querySelector(".crn-value");
			li.dataset.jobId = job.job_id;
			li.dataset.crn = job.crn;
			setBadge(
				li.querySelector(".badge"),
				job.reason === "failed" ? "Failed" : "Stuck",
				job.reason === "failed" ? "bad" : "warn",
			);
			crn.textContent = job.crn;
			crn.id = `attention-${job.job_id}`;
			li.querySelector(".item-domain").textContent = `@${job.email_domain}`;
			li.querySelector(".item-meta").textContent =
				`${job.state} · queued ${duration(job.age_ms)} ago · untouched for ${duration(job.idle_ms)}`;
			li.querySelector(".item-error").hidden = !job.last_error;
			li.querySelector(".item-error code").textContent = job.last_error ?? "";
			for (const button of li.querySelectorAll("button")) button.setAttribute("aria-describedby", crn.id);
			const [retry, link, open] = li.querySelectorAll("button");
			onAction(retry, "Retrying…", () => retryJob(job.job_id, job.crn));
			onAction(link, "Sending…", () => sendLink(job.crn));
			onAction(open, "Opening…", () => openCustomer(job.crn));
			return li;
		}),
	);
}

async function retryJob(jobId, crn) {
	const res = await call(`/api/admin/jobs/${encodeURIComponent(jobId)}/retry`, "POST");
	if (res.status !== 202) {
		if (res.status !== 401) announce(`${crn}: ${failure(res, "The retry could not be queued.")}`, "bad");
		return;
	}
	announce(`${crn}: retry queued. Watching provisioning…`);
	await Promise.all([loadAttention(), refreshCustomer(crn)]);
	watchProvisioning(crn);
}

/** After a retry, follows the customer until provisioning completes or fails again, and says which. */
async function watchProvisioning(crn) {
	const deadline = Date.now() + WATCH_FOR_MS;
	let state = "queued";
	let job = null;
	while (Date.now() < deadline && state !== "completed" && state !== "failed") {
		await new Promise((resolve) => setTimeout(resolve, WATCH_EVERY_MS));
		const res = await call(`/api/admin/clients/${encodeURIComponent(crn)}`);
		if (res.status === 401) return;
		state = res.data?.status?.provisioning_state ?? state;
		job = res.data?.job ?? job;
	}
	// The page first shows what the announcement says.
	await Promise.all([loadAttention(), loadSummary(), refreshCustomer(crn)]);
	if (state === "completed") announce(`${crn}: provisioning completed; the welcome email is sent.`, "good");
	else if (state === "failed")
		announce(`${crn}: provisioning failed again: ${job?.last_error ?? "no error recorded"}`, "bad");
	else announce(`${crn} is still ${state}; it shows under Needs attention if it fails.`);
}

async function sendLink(crn) {
	const res = await call(`/api/admin/clients/${encodeURIComponent(crn)}/setup-link`, "POST");
	if (res.status === 202) {
		const resets = res.data?.resets_password ? " Their password is set, so the link resets it." : "";
		// 202: the queue makes and sends the link; the customer's panel shows it once the provider took it.
		announce(`${crn}: set-password link queued for sending.${resets}`, "good");
		const before = shownSentLinks;
		for (let i = 0; i < 10 && shownCrn === crn && shownSentLinks === before; i++) {
			await new Promise((resolve) => setTimeout(resolve, WATCH_EVERY_MS));
			await refreshCustomer(crn);
		}
	} else if (res.status !== 401) {
		announce(`${crn}: ${failure(res, "The link could not be sent.")}`, "bad");
	}
}

// ---- find a customer --------------------------------------------------------

let shownCrn = "";
/** Links of the shown customer the provider accepted: a sent link is watched for until it shows. */
let shownSentLinks = 0;

async function search(q) {
	const input = $("search-q");
	const list = $("search-results");
	setFieldError(input, q ? "" : "Enter a CRN or an email address.");
	if (!q) return input.focus();
	const res = await call("/api/admin/search", "POST", { q });
	list.hidden = true;
	if (!Array.isArray(res.data?.results)) {
		if (res.status === 401) return;
		$("customer").hidden = true;
		setFieldError(input, failure(res, "The search failed."));
		return announce(failure(res, "The search failed."), res.status === 404 ? "" : "bad");
	}
	const results = res.data.results;
	if (results.length > 1) {
		list.replaceChildren(
			...results.map((r) => {
				const button = Object.assign(document.createElement("button"), { type: "button", className: "result" });
				const badge = document.createElement("span");
				badge.className = "badge";
				setAccessBadge(badge, r);
				button.append(`${r.crn} · ${r.plan_code} · ${r.provisioning_state} · `, badge, ` · ${when(r.created_at)}`);
				button.dataset.access = r.access;
				button.addEventListener("click", () => openCustomer(r.crn));
				const li = document.createElement("li");
				li.append(button);
				return li;
			}),
		);
		list.hidden = false;
	}
	await openCustomer(results[0].crn, results.length > 1 ? `${results.length} plans with this email. ` : "");
}

async function openCustomer(crn, note = "") {
	const res = await call(`/api/admin/clients/${encodeURIComponent(crn)}`);
	if (!res.data?.client) {
		if (res.status !== 401) announce(`${crn}: ${failure(res, "Could not load this customer.")}`, "bad");
		return;
	}
	shownCrn = crn;
	renderCustomer(res.data);
	$("customer").hidden = false;
	$("customer").focus();
	announce(`${note}Showing ${crn}.`);
}

async function refreshCustomer(crn) {
	if (shownCrn !== crn || $("customer").hidden) return;
	const res = await call(`/api/admin/clients/${encodeURIComponent(crn)}`);
	if (res.data?.client) renderCustomer(res.data);
}

// ended is neutral: nothing for support to chase, unlike a suspended plan.
const ACCESS_TONE = { active: "good", past_due: "warn", suspended: "bad", ended: "" };

/** "past_due · payment_failed", toned by the access. */
function setAccessBadge(node, plan) {
	setBadge(node, `${plan.access} · ${plan.reason}`, ACCESS_TONE[plan.access]);
}

/** One plan as a row: its CRN opens it, then access and reason, then what else is known. */
function planRow(plan, meta) {
	const li = fromTemplate("plan-row-template");
	const open = li.querySelector("button");
	li.dataset.crn = plan.crn;
	li.dataset.access = plan.access;
	li.dataset.reason = plan.reason;
	open.textContent = plan.crn;
	open.addEventListener("click", () => openCustomer(plan.crn));
	setAccessBadge(li.querySelector(".badge"), plan);
	li.querySelector(".plan-row-meta").textContent = meta;
	return li;
}
const PROVISIONING_TONE = { completed: "good", failed: "bad", queued: "warn", running: "warn" };

function renderCustomer({ client, status, job, login, plans, events, links, emails, detachable, added_to_login_at }) {
	const text = (id, value) => {
		$(id).textContent = value;
	};
	text("customer-crn", client.crn);
	text("customer-name", client.name);
	text("customer-email", client.email);
	text("customer-plan", client.plan_code);
	text("customer-checkout", `${client.checkout_status}, payment ${client.payment_status}`);
	text("customer-subscription", client.subscription_status ?? "none yet");
	setBadge($("customer-access"), `access ${client.access}`, ACCESS_TONE[client.access]);
	text("customer-reason", client.reason.replace(/_/g, " "));
	setBadge($("customer-provisioning"), status.provisioning_state, PROVISIONING_TONE[status.provisioning_state]);
	text("customer-job", job ? `${job.state}, ${job.attempts} attempt${job.attempts === 1 ? "" : "s"}` : "");
	text("customer-error", job?.last_error ?? "");
	$("customer-error-row").hidden = !job?.last_error;
	const loginState =
		login && (login.password_set_at ? `password set ${when(login.password_set_at)}` : "no password yet");
	const added = added_to_login_at ? ` (this plan was added to it ${when(added_to_login_at)})` : "";
	text("customer-login", loginState ? `${loginState}${added}` : "none yet");
	text("customer-created", when(client.created_at));
	const planList = $("customer-plans");
	const rows = (plans ?? []).map((p) =>
		planRow(
			p,
			[p.plan_code, p.subscription_status ?? "no subscription", p.crn === client.crn ? "this plan" : ""]
				.filter(Boolean)
				.join(" · "),
		),
	);
	if (rows.length === 0)
		rows.push(Object.assign(document.createElement("li"), { textContent: planList.dataset.empty }));
	planList.replaceChildren(...rows);
	fillList($("customer-events"), events, (e) => `${when(e.received_at)} · ${e.type} · ${e.id}`);
	shownSentLinks = links.filter((l) => l.sent_at).length;
	// A link is sent once the mail provider took it; until then it waits (deferred) or its email failed.
	fillList($("customer-links"), links, (l) =>
		[
			l.sent_at
				? `${l.purpose}: sent ${when(l.sent_at)}`
				: `${l.purpose}: not sent (made ${when(l.created_at)}; deferred or failed)`,
			l.used_at ? `used ${when(l.used_at)}` : `expires ${when(l.expires_at)}`,
		].join(", "),
	);
	fillList($("customer-emails"), emails, (m) => `${when(m.created_at)} · ${m.subject}`);
	$("customer-retry").hidden = !job || status.provisioning_state === "completed";
	$("customer-retry").dataset.jobId = job?.id ?? "";
	// Only a plan that joined someone's login by a later purchase can leave it.
	$("customer-detach").hidden = !detachable;
}

onAction($("customer-retry"), "Retrying…", () => retryJob($("customer-retry").dataset.jobId, shownCrn));
onAction($("customer-link"), "Sending…", () => sendLink(shownCrn));
onAction($("customer-detach"), "Removing…", () => detachPlan(shownCrn));

/** The owner said "that was not me": the plan leaves their login (it keeps its payment and history). */
async function detachPlan(crn) {
	const res = await call(`/api/admin/clients/${encodeURIComponent(crn)}/detach`, "POST");
	if (res.status === 200) {
		announce(`${crn}: removed from the login; the owner no longer sees it.`, "good");
		await refreshCustomer(crn);
	} else if (res.status !== 401) {
		announce(`${crn}: ${failure(res, "The plan could not be removed from the login.")}`, "bad");
	}
}

// ---- plans by access --------------------------------------------------------

async function filterPlans() {
	const access = $("plans-access").value;
	const reason = $("plans-reason").value;
	const query = new URLSearchParams({ limit: "50" });
	if (access) query.set("access", access);
	if (reason) query.set("reason", reason);
	const res = await call(`/api/admin/plans?${query}`);
	const summary = $("plans-summary");
	if (!Array.isArray(res.data?.plans)) {
		if (res.status !== 401) announce(failure(res, "Could not filter the plans."), "bad");
		return;
	}
	const plans = res.data.plans;
	const what = [access, reason].filter(Boolean).join(" · ") || "any access";
	summary.textContent = plans.length
		? `${plans.length} plan${plans.length === 1 ? "" : "s"} with ${what}${plans.length === 50 ? " (the newest 50)" : ""}.`
		: `No recent plan with ${what}.`;
	summary.hidden = false;
	$("plans-results").replaceChildren(
		...plans.map((p) =>
			planRow(
				p,
				`@${p.email_domain} · ${p.plan_code} · ${p.subscription_status ?? "no subscription"} · ${when(p.updated_at)}`,
			),
		),
	);
	announce(summary.textContent);
}

$("plans-form").addEventListener("submit", async (ev) => {
	ev.preventDefault();
	const button = $("plans-submit");
	if (button.disabled) return;
	setBusy(button, true, "Filtering…");
	await filterPlans();
	setBusy(button, false);
});

// ---- webhook deliveries -----------------------------------------------------

async function loadEvents() {
	const res = await call("/api/admin/events?limit=50");
	if (!Array.isArray(res.data?.events)) {
		if (res.status !== 401) announce(failure(res, "Could not load the webhook deliveries."), "bad");
		return;
	}
	const events = res.data.events;
	$("events-empty").hidden = events.length > 0;
	$("events-table").hidden = events.length === 0;
	$("events-body").replaceChildren(
		...events.map((e) => {
			const tr = fromTemplate("event-template");
			const [received, type, id, result] = tr.cells;
			const [outcome, duplicate, crn] = result.firstElementChild.children;
			tr.dataset.eventId = e.id;
			received.textContent = when(e.received_at);
			type.firstElementChild.textContent = e.type;
			id.firstElementChild.textContent = e.id;
			setBadge(outcome, e.outcome, e.outcome === "applied" ? "good" : "");
			setBadge(duplicate, e.duplicate ? `duplicate ×${e.deliveries}` : "", "warn");
			crn.textContent = e.crn ?? "";
			const replayButton = tr.querySelector("button");
			replayButton.hidden = !e.replayable;
			replayButton.setAttribute("aria-label", `Replay ${e.id}`);
			onAction(replayButton, "Replaying…", () => replay(e.id));
			return tr;
		}),
	);
}

// ---- deliveries to the operator's app -------------------------------------

const DELIVERY_TONE = { delivered: "good", pending: "warn", failed: "bad" };
const DELIVERY_STATE = { delivered: "delivered", pending: "retrying", failed: "failed" };

async function loadDeliveries() {
	const res = await call("/api/admin/deliveries");
	if (!Array.isArray(res.data?.deliveries)) {
		if (res.status !== 401) announce(failure(res, "Could not load the deliveries to your app."), "bad");
		return;
	}
	const { configured, last_24h: day, deliveries } = res.data;
	$("deliveries-off").hidden = configured;
	$("deliveries-empty").hidden = !configured || deliveries.length > 0;
	$("deliveries-table").hidden = deliveries.length === 0;
	$("deliveries-figures").textContent =
		`last 24 h: ${day.delivered} delivered · ${day.retrying} retrying · ${day.failed} failed`;
	$("deliveries-body").replaceChildren(
		...deliveries.map((d) => {
			const tr = fromTemplate("delivery-template");
			const [created, type, crn, state, answer] = tr.cells;
			tr.dataset.deliveryId = d.id;
			created.textContent = when(d.created_at);
			type.firstElementChild.textContent = d.type;
			crn.firstElementChild.textContent = d.crn;
			const [badge, attempts] = state.firstElementChild.children;
			setBadge(badge, DELIVERY_STATE[d.status] ?? d.status, DELIVERY_TONE[d.status]);
			const next =
				d.status === "pending" && d.attempts > 0 && d.next_attempt_at ? `, next ${when(d.next_attempt_at)}` : "";
			attempts.textContent = `${d.attempts} attempt${d.attempts === 1 ? "" : "s"}${next}`;
			answer.firstElementChild.textContent = d.last_error ?? (d.last_status ? String(d.last_status) : "");
			const again = tr.querySelector("button");
			again.hidden = d.status !== "failed";
			again.setAttribute("aria-label", `Send ${d.id} again`);
			onAction(again, "Sending…", () => sendDeliveryAgain(d.id, d.crn));
			return tr;
		}),
	);
}

async function sendDeliveryAgain(id, crn) {
	const res = await call(`/api/admin/deliveries/${encodeURIComponent(id)}/send-again`, "POST");
	if (res.status === 202) {
		announce(`${crn}: the delivery is queued to be sent again, with the same webhook-id.`, "good");
		await loadDeliveries();
	} else if (res.status !== 401) {
		announce(`${crn}: ${failure(res, "The delivery could not be sent again.")}`, "bad");
	}
}

async function replay(id) {
	const res = await call(`/api/admin/events/${encodeURIComponent(id)}/replay`, "POST");
	if (res.ok) {
		announce(`${id} replayed: ${res.data?.outcome?.status ?? "done"}.`, "good");
		await Promise.all([loadEvents(), loadAttention(), loadSummary()]);
	} else if (res.status !== 401) {
		announce(`${id}: ${failure(res, "The replay failed.")}`, "bad");
	}
}

// ---- wiring -----------------------------------------------------------------

async function loadAll() {
	await Promise.all([loadHealth(), loadSummary(), loadAttention(), loadDeliveries(), loadEvents()]);
	if (shownCrn) await refreshCustomer(shownCrn);
	$("updated").textContent = `Updated ${new Date().toLocaleTimeString()}`;
}

function showConsole() {
	$("token-card").hidden = true;
	$("console").hidden = false;
	return loadAll();
}

$("token-form").addEventListener("submit", async (ev) => {
	ev.preventDefault();
	const input = $("token");
	setFieldError(input, input.value.trim() ? "" : "Paste the admin token.");
	if (!input.value.trim()) return input.focus();
	sessionStorage.setItem(TOKEN_KEY, input.value.trim());
	input.value = "";
	await showConsole();
	if (getToken()) announce("Console loaded.");
});

$("forget-token").addEventListener("click", () => signOut({ info: "Token forgotten." }));

onAction($("refresh"), "Refreshing…", async () => {
	await loadAll();
	if (getToken()) announce("Refreshed.");
});

$("search-form").addEventListener("submit", (ev) => {
	ev.preventDefault();
	search($("search-q").value.trim());
});

$("replay-form").addEventListener("submit", async (ev) => {
	ev.preventDefault();
	const input = $("replay-id");
	const valid = /^evt_\w+$/.test(input.value.trim());
	setFieldError(input, valid ? "" : "Enter a Stripe event id (evt_…).");
	if (!valid) return input.focus();
	setBusy($("replay-submit"), true);
	await replay(input.value.trim());
	setBusy($("replay-submit"), false);
});

// The public health route says whether Stripe is unconfigured: only then can the
// development token (npm run dev, no ADMIN_TOKEN) be the one to use.
fetch("/api/health", { cache: "no-store" })
	.then((res) => res.json())
	.then((health) => {
		$("dev-hint").hidden = health?.mode !== "unconfigured";
	})
	.catch(() => {});

if (getToken()) showConsole();
else showTokenForm();
