// Dashboard: GET /api/portal/me (every plan the login holds, with the access
// each gives and why), the billing portal, logout. Per plan: its name, status in
// words, when it renews or ends, why access is kept or paused, and the one thing
// the customer can do now (the server's `action`). The most urgent plan also
// heads the page; access changes seen on a refresh are announced in #announce.

import { $, api, clearError, isSafeUrl, link, NETWORK_MESSAGE, setBusy, showError } from "./common.js";

const greeting = $("greeting");
const account = $("account");
const errorBox = $("dashboard-error");
const billingBtn = $("manage-billing");
const logoutBtn = $("logout");
const retryBtn = $("retry");
const banner = $("access-banner");
const announcer = $("announce");

function toLogin() {
	location.replace("/login");
}

function errorMessage(res, fallback) {
	if (res.network) return NETWORK_MESSAGE;
	return res.data?.message || fallback;
}

// The plan's status in words, by why it has the access it has (src/rules/access.ts
// ACCESS_REASONS); the tone follows the access: active good, past_due warn,
// suspended bad, ended neutral.
const STATUS_WORDS = {
	paid: "Active",
	trialing: "Trial",
	payment_failed: "Payment overdue",
	payment_pending: "Awaiting payment",
	grace_over: "Paused: unpaid",
	paused: "Paused",
	dispute_open: "Paused: disputed",
	canceled: "Cancelled",
	expired: "Ended",
	refunded: "Refunded",
	dispute_lost: "Ended",
};
const TONE = { active: "good", past_due: "warn", suspended: "bad", ended: "" };

const DATE = { day: "numeric", month: "long", year: "numeric" };
function day(iso) {
	const d = iso ? new Date(iso) : null;
	return d && !Number.isNaN(d.getTime()) ? d.toLocaleDateString(undefined, DATE) : "";
}

function humanise(value) {
	const s = String(value || "")
		.replace(/_/g, " ")
		.trim();
	return s ? s[0].toUpperCase() + s.slice(1) : "Unknown";
}

const statusWords = (plan) => STATUS_WORDS[plan.reason] || humanise(plan.status || plan.access);
const nameOf = (plan) => plan.plan_name || "your";
const signupFor = (plan) => `/?plan=${encodeURIComponent(plan.plan_code || "")}`;

/** "Renews on …", "Trial ends on …", "Lifetime access", or "" when no date applies. */
function whenLine(plan) {
	if (plan.access === "ended") return "";
	if (plan.status === null && plan.access === "active") return "Lifetime access";
	const date = day(plan.current_period_end);
	if (!date) return "";
	if (plan.reason === "trialing") return `Trial ends on ${date}`;
	if (plan.reason === "paid") return `Renews on ${date}`;
	return "";
}

/** Why the plan has the access it has, in plain words; "" when all is well. */
function noteFor(plan) {
	const grace = day(plan.grace_ends_at);
	switch (plan.reason) {
		case "payment_failed":
			return grace
				? `The latest payment for this plan didn't go through. You keep access until ${grace}.`
				: "The latest payment for this plan didn't go through. You keep access for a few days while you sort it out.";
		case "dispute_open":
			return "A payment for this plan is disputed with your bank; access is paused until the dispute is resolved. Contact support.";
		case "grace_over":
			return "We couldn't take payment for this plan and the grace period is over, so access is paused until it is paid.";
		case "paused":
			return "Your trial ended without a payment method, so access is paused. Add a payment method to carry on.";
		case "payment_pending":
			return "The first payment for this plan hasn't been confirmed yet. Access starts as soon as it is.";
		case "canceled":
			return "This subscription was cancelled, so access has ended.";
		case "expired":
			return "The first payment for this plan never went through, so it didn't start.";
		case "refunded":
			return "The payment for this plan was refunded in full, so access has ended.";
		case "dispute_lost":
			return "Your bank reversed the payment for this plan after a dispute, so access has ended. Contact support.";
		default:
			return plan.action?.type === "confirm_payment"
				? "Your bank needs you to confirm the latest payment for this plan."
				: "";
	}
}

async function openBilling(button, crn) {
	if (button.disabled) return;
	clearError(errorBox);
	setBusy(button, true, "Opening billing…");
	const res = await api("/api/portal/billing", { method: "POST", body: crn ? { crn } : {} });
	if (res.status === 401) {
		toLogin();
		return;
	}
	if (res.ok && res.data && isSafeUrl(res.data.url)) {
		location.assign(res.data.url);
		return;
	}
	setBusy(button, false);
	showError(errorBox, errorMessage(res, "We couldn't open the billing portal. Please try again in a moment."));
	errorBox.focus();
}

/** Only an http(s) URL (or our own path) from the server becomes a link. */
const safeActionUrl = (action) => (isSafeUrl(action?.url) ? action.url : "");

/** The control for the plan's action, or null when there is nothing to do. */
function actionControl(plan, className) {
	const action = plan.action;
	const url = safeActionUrl(action);
	let control = null;
	if (action?.type === "pay_invoice" && url) control = link(url, "Pay the invoice", { className });
	else if (action?.type === "confirm_payment" && url) control = link(url, "Confirm your payment", { className });
	else if (action?.type === "subscribe_again") control = link(signupFor(plan), "Subscribe again", { className });
	else if (action) {
		// update_payment_method, or an invoice link we will not follow: the Billing Portal for this plan.
		const button = document.createElement("button");
		button.type = "button";
		button.className = className;
		button.textContent = "Update payment method";
		button.addEventListener("click", () => openBilling(button, plan.crn));
		control = button;
	}
	if (control) control.dataset.action = control.tagName === "BUTTON" ? "update_payment_method" : action.type;
	return control;
}

function planItem(plan, headed) {
	const li = document.createElement("li");
	li.className = "plan-item";
	li.dataset.crn = plan.crn;
	li.dataset.access = plan.access;
	li.dataset.reason = plan.reason;
	const head = document.createElement("div");
	head.className = "plan-head";
	const name = document.createElement("span");
	name.className = "plan-name";
	name.textContent = plan.plan_name || "Plan";
	const badge = document.createElement("span");
	badge.className = "badge plan-status";
	badge.textContent = statusWords(plan);
	if (TONE[plan.access]) badge.dataset.tone = TONE[plan.access];
	head.append(name, badge);
	li.append(head);
	const when = whenLine(plan);
	if (when) {
		li.append(Object.assign(document.createElement("p"), { className: "plan-when", textContent: when }));
	}
	const note = noteFor(plan);
	if (note) li.append(Object.assign(document.createElement("p"), { className: "plan-note", textContent: note }));
	if (plan.added_to_existing_login) {
		// Someone may have bought it with this email: the owner learns it here, not by surprise.
		li.append(
			Object.assign(document.createElement("p"), {
				className: "plan-note plan-added small",
				textContent: "Added to your login by a later purchase with your email. Not you? Ask support to remove it.",
			}),
		);
	}
	const foot = document.createElement("div");
	foot.className = "plan-foot";
	const crn = document.createElement("span");
	crn.className = "crn-value small";
	crn.textContent = plan.crn;
	foot.append(crn);
	// The banner already offers this plan's action as the page's main button: here it is the quieter twin.
	const control = actionControl(plan, `btn ${headed ? "btn-secondary" : "btn-primary"} btn-small plan-action`);
	if (control) {
		control.setAttribute("aria-label", `${control.textContent}: ${plan.plan_name || plan.crn}`);
		foot.append(control);
	}
	li.append(foot);
	return li;
}

/** What heads the page: the most urgent plan's state and its action, in the order a customer must act. */
function bannerFor(plans) {
	const overdue = plans.find((p) => p.access === "past_due");
	if (overdue) {
		const grace = day(overdue.grace_ends_at);
		return {
			kind: "past_due",
			tone: "alert-warning",
			plan: overdue,
			title: "Your payment didn't go through",
			text: `We couldn't take the latest payment for your ${nameOf(overdue)} plan. ${
				grace ? `You keep access until ${grace}` : "You keep access for a few days"
			}; ${overdue.action?.type === "pay_invoice" ? "pay the invoice" : "update your payment method"} to keep it.`,
		};
	}
	const confirm = plans.find((p) => p.action?.type === "confirm_payment");
	if (confirm) {
		return {
			kind: "confirm_payment",
			tone: "alert-warning",
			plan: confirm,
			title: "Confirm your payment",
			text: `Your bank needs you to confirm the latest payment for your ${nameOf(confirm)} plan. It takes a moment on your bank's page.`,
		};
	}
	const suspended = plans.find((p) => p.access === "suspended");
	if (suspended) {
		return {
			kind: "suspended",
			tone: "alert-error",
			plan: suspended,
			title: `Your ${nameOf(suspended)} plan is paused`,
			text: noteFor(suspended),
		};
	}
	if (plans.length > 0 && plans.every((p) => p.access === "ended")) {
		const last = plans[0];
		return {
			kind: "ended",
			tone: "alert-info",
			plan: { ...last, action: { type: "subscribe_again" } },
			title: plans.length > 1 ? "Your plans have ended" : `Your ${nameOf(last)} plan has ended`,
			text: "You can still log in, see your details and download past invoices. Subscribe again to get your access back.",
		};
	}
	return null;
}

// Ids the banner's controls keep, whatever the action: what tests and support instructions name.
const BANNER_IDS = {
	pay_invoice: "pay-invoice",
	confirm_payment: "confirm-payment",
	update_payment_method: "update-payment",
	subscribe_again: "subscribe-again",
};

function renderBanner(plans) {
	const state = bannerFor(plans);
	const actions = $("access-actions");
	actions.replaceChildren();
	if (!state) {
		banner.hidden = true;
		delete banner.dataset.kind;
		return null;
	}
	banner.className = `alert ${state.tone}`;
	banner.dataset.kind = state.kind;
	$("access-title").textContent = state.title;
	$("access-text").textContent = state.text;
	const control = actionControl(state.plan, "btn btn-primary");
	if (control) {
		control.id = BANNER_IDS[control.dataset.action];
		actions.append(control);
	}
	// An empty row would leave a gap under the text.
	actions.hidden = !control;
	banner.hidden = false;
	return state;
}

/** Access per CRN as last shown, to announce what a refresh changed. */
let shown = null;

function announce(text) {
	if (!text) return;
	// Cleared first so the same words twice are announced twice.
	announcer.textContent = "";
	requestAnimationFrame(() => {
		announcer.textContent = text;
	});
}

function render(me) {
	const name = me.name || "";
	greeting.textContent = name ? `Welcome back, ${name}.` : "Welcome back.";
	$("account-name").textContent = name || "—";
	$("account-email").textContent = me.email || "—";
	const plans = Array.isArray(me.subscriptions) ? me.subscriptions : [];
	const state = renderBanner(plans);
	// Of several ended plans the banner picks one only as an example: each keeps its own main button.
	const headed = (p) => state?.plan.crn === p.crn && (state.kind !== "ended" || plans.length === 1);
	$("plans").replaceChildren(...plans.map((p) => planItem(p, headed(p))));
	account.hidden = false;
	logoutBtn.hidden = false;

	const now = new Map(plans.map((p) => [p.crn, `${p.access}/${p.reason}`]));
	if (shown === null) {
		announce(state ? `${state.title}. ${state.text}` : "");
	} else {
		const changed = plans.filter((p) => shown.get(p.crn) !== now.get(p.crn));
		announce(changed.map((p) => `${p.plan_name || p.crn}: ${statusWords(p).toLowerCase()}.`).join(" "));
	}
	shown = now;
}

async function load({ quiet = false } = {}) {
	if (!quiet) {
		clearError(errorBox);
		retryBtn.hidden = true;
		greeting.textContent = "Loading your account…";
	}
	const res = await api("/api/portal/me", { cache: "no-store" });
	if (res.status === 401) {
		toLogin();
		return;
	}
	if (res.ok && res.data) {
		render(res.data);
		return;
	}
	if (quiet) return;
	greeting.textContent = "";
	showError(errorBox, errorMessage(res, "We couldn't load your account. Please try again."));
	retryBtn.hidden = false;
	logoutBtn.hidden = false;
}

billingBtn.addEventListener("click", () => openBilling(billingBtn));

logoutBtn.addEventListener("click", async () => {
	if (logoutBtn.disabled) return;
	clearError(errorBox);
	setBusy(logoutBtn, true);
	const res = await api("/api/portal/logout", { method: "POST", body: {} });
	if (res.ok || res.status === 401) {
		location.assign("/login");
		return;
	}
	setBusy(logoutBtn, false);
	showError(errorBox, errorMessage(res, "We couldn't log you out. Please try again."));
	errorBox.focus();
});

retryBtn.addEventListener("click", () => load());

// Back from paying or confirming on the invoice page (another tab, or the back
// button): read the plans again, so the page says what changed.
document.addEventListener("visibilitychange", () => {
	if (!document.hidden && shown !== null) load({ quiet: true });
});

window.addEventListener("pageshow", (ev) => {
	if (!ev.persisted) return;
	setBusy(billingBtn, false);
	load({ quiet: true });
});

load();
