// Development money moves: GET /api/dev/plans lists recent plans with a login;
// each button POSTs /api/dev/plans/:crn/events, which signs the matching Stripe
// event and posts it through the real webhook route.

import { $, api, setBusy, showError } from "./common.js";

const list = $("money-list");
const empty = $("money-empty");
const errorBox = $("money-error");
const statusEl = $("money-status");
const refreshBtn = $("refresh-money");

/** The buttons, grouped as the money moves: on a payment, or on the subscription's renewals. */
const GROUPS = [
	{
		title: "A payment",
		subscriptionOnly: false,
		events: [
			["refund", "Refund in full"],
			["dispute_opened", "Open a dispute"],
			["dispute_won", "Dispute won"],
			["dispute_lost", "Dispute lost"],
		],
	},
	{
		title: "The subscription",
		subscriptionOnly: true,
		events: [
			["renewal_failed", "Renewal fails"],
			["renewal_needs_confirmation", "Renewal needs confirming"],
			["renewal_paid", "Renewal paid"],
			["trial_ending", "Trial ends in 3 days"],
			["canceled", "Cancel"],
		],
	},
];

const TONE = { active: "good", past_due: "warn", suspended: "bad", ended: "" };

function setAccess(badge, plan) {
	badge.textContent = `${plan.access} · ${plan.reason}`;
	badge.dataset.tone = TONE[plan.access] ?? "";
}

async function send(button, plan, event, label, badge) {
	if (button.disabled) return;
	setBusy(button, true);
	errorBox.hidden = true;
	const res = await api(`/api/dev/plans/${encodeURIComponent(plan.crn)}/events`, { method: "POST", body: { event } });
	setBusy(button, false);
	if (res.ok && res.data?.plan) {
		setAccess(badge, res.data.plan);
		const types = (res.data.stripe_events || []).map((e) => e.type).join(", ");
		statusEl.textContent = `${plan.crn}: ${label} (${types}). Access now ${res.data.plan.access}, ${res.data.plan.reason}.`;
		return;
	}
	statusEl.textContent = "";
	showError(
		errorBox,
		res.network
			? "We couldn't reach the local worker. Is `npm run dev` running?"
			: `${plan.crn}: ${res.data?.message || "The event could not be sent."}`,
	);
}

function renderPlan(plan) {
	const li = document.createElement("li");
	const article = document.createElement("article");
	article.className = "outbox-message money-plan";
	article.dataset.crn = plan.crn;

	const h2 = document.createElement("h2");
	h2.className = "outbox-subject";
	h2.textContent = `${plan.plan_name} · ${plan.crn}`;
	h2.id = `plan-${plan.crn}`;

	const meta = document.createElement("p");
	meta.className = "outbox-meta";
	const badge = document.createElement("span");
	badge.className = "badge money-access";
	setAccess(badge, plan);
	meta.append(
		`${plan.email} · ${plan.mode === "payment" ? "one-time" : (plan.status ?? "no subscription yet")} · `,
		badge,
	);
	article.append(h2, meta);

	for (const group of GROUPS) {
		if (group.subscriptionOnly && plan.mode !== "subscription") continue;
		const wrap = document.createElement("div");
		wrap.className = "money-group";
		wrap.setAttribute("role", "group");
		wrap.setAttribute("aria-label", `${group.title}, ${plan.crn}`);
		const title = document.createElement("p");
		title.className = "money-group-title small muted";
		title.textContent = group.title;
		const actions = document.createElement("div");
		actions.className = "actions";
		for (const [event, label] of group.events) {
			const button = document.createElement("button");
			button.type = "button";
			button.className = "btn btn-secondary btn-small";
			button.dataset.event = event;
			button.textContent = label;
			button.addEventListener("click", () => send(button, plan, event, label, badge));
			actions.append(button);
		}
		wrap.append(title, actions);
		article.append(wrap);
	}
	li.append(article);
	return li;
}

async function load({ manual = false } = {}) {
	if (manual) setBusy(refreshBtn, true);
	const res = await api("/api/dev/plans", { cache: "no-store" });
	if (manual) setBusy(refreshBtn, false);
	if (!res.ok || !Array.isArray(res.data?.plans)) {
		statusEl.textContent = "";
		showError(
			errorBox,
			res.network
				? "We couldn't reach the local worker. Is `npm run dev` running?"
				: res.data?.message || "We couldn't load the plans.",
		);
		return;
	}
	errorBox.hidden = true;
	const plans = res.data.plans;
	list.replaceChildren(...plans.map(renderPlan));
	empty.hidden = plans.length > 0;
	statusEl.textContent = `${plans.length} plan${plans.length === 1 ? "" : "s"}`;
}

refreshBtn.addEventListener("click", () => load({ manual: true }));

load();
