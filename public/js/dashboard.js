// Dashboard: GET /api/portal/me (every plan the login holds, with the access
// each gives), the billing portal, logout. A plan whose renewal failed asks for
// a new payment method; one that ended offers to subscribe again.

import { $, api, clearError, isSafeUrl, link, NETWORK_MESSAGE, setBusy, showError } from "./common.js";

const greeting = $("greeting");
const account = $("account");
const errorBox = $("dashboard-error");
const billingBtn = $("manage-billing");
const logoutBtn = $("logout");
const retryBtn = $("retry");
const banner = $("access-banner");

function toLogin() {
	location.replace("/login");
}

function errorMessage(res, fallback) {
	if (res.network) return NETWORK_MESSAGE;
	return res.data?.message || fallback;
}

// Stripe's subscription statuses, as the customer reads them.
const STATUS = {
	active: ["Active", "good"],
	trialing: ["Trial", "good"],
	past_due: ["Payment overdue", "warn"],
	unpaid: ["Unpaid", "bad"],
	incomplete: ["Awaiting payment", "warn"],
	incomplete_expired: ["Ended", "bad"],
	paused: ["Paused", "warn"],
	canceled: ["Cancelled", "bad"],
};

function humanise(value) {
	const s = String(value || "")
		.replace(/_/g, " ")
		.trim();
	return s ? s[0].toUpperCase() + s.slice(1) : "Unknown";
}

const signupFor = (plan) => `/?plan=${encodeURIComponent(plan.plan_code || "")}`;

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

function planItem(plan) {
	const li = document.createElement("li");
	li.className = "plan-item";
	li.dataset.crn = plan.crn;
	li.dataset.access = plan.access;
	const name = document.createElement("span");
	name.className = "plan-name";
	name.textContent = plan.plan_name || plan.plan_code || "Plan";
	const crn = document.createElement("span");
	crn.className = "crn-value small";
	crn.textContent = plan.crn;
	const badge = document.createElement("span");
	badge.className = "badge plan-status";
	const [label, tone] = STATUS[plan.status] || [humanise(plan.status), ""];
	badge.textContent = label;
	if (tone) badge.dataset.tone = tone;
	li.append(name, crn, badge);
	if (plan.added_to_existing_login) {
		// Someone may have bought it with this email: the owner learns it here, not by surprise.
		const note = document.createElement("p");
		note.className = "plan-note small";
		note.textContent = "Added to your login by a later purchase with your email. Not you? Ask support to remove it.";
		li.append(note);
	}
	if (plan.access === "ended") {
		li.append(link(signupFor(plan), "Subscribe again", { className: "btn btn-primary btn-small plan-action" }));
	}
	return li;
}

/** The most urgent thing first: a failed renewal, then "everything has ended". */
function renderBanner(plans) {
	const overdue = plans.find((p) => p.access === "past_due");
	const actions = $("access-actions");
	actions.replaceChildren();
	if (overdue) {
		banner.className = "alert alert-warning";
		banner.dataset.kind = "past_due";
		$("access-title").textContent = "Your payment didn't go through";
		$("access-text").textContent =
			`We couldn't take the latest payment for your ${overdue.plan_name} plan. Update your payment method to keep your access.`;
		const button = document.createElement("button");
		button.type = "button";
		button.id = "update-payment";
		button.className = "btn btn-primary";
		button.textContent = "Update payment method";
		button.addEventListener("click", () => openBilling(button, overdue.crn));
		actions.append(button);
		banner.hidden = false;
		return;
	}
	if (plans.length > 0 && plans.every((p) => p.access === "ended")) {
		const last = plans[0];
		banner.className = "alert alert-info";
		banner.dataset.kind = "ended";
		$("access-title").textContent =
			plans.length > 1 ? "Your plans have ended" : `Your ${last.plan_name} plan has ended`;
		$("access-text").textContent =
			"You can still log in, see your details and download past invoices. Subscribe again to get your access back.";
		actions.append(link(signupFor(last), "Subscribe again", { id: "subscribe-again", className: "btn btn-primary" }));
		banner.hidden = false;
		return;
	}
	banner.hidden = true;
	delete banner.dataset.kind;
}

function render(me) {
	const name = me.name || "";
	greeting.textContent = name ? `Welcome back, ${name}.` : "Welcome back.";
	$("account-name").textContent = name || "—";
	$("account-email").textContent = me.email || "—";
	const plans = Array.isArray(me.subscriptions) ? me.subscriptions : [];
	$("plans").replaceChildren(...plans.map(planItem));
	renderBanner(plans);
	account.hidden = false;
	logoutBtn.hidden = false;
}

async function load() {
	clearError(errorBox);
	retryBtn.hidden = true;
	greeting.textContent = "Loading your account…";
	const res = await api("/api/portal/me", { cache: "no-store" });
	if (res.status === 401) {
		toLogin();
		return;
	}
	if (res.ok && res.data) {
		render(res.data);
		return;
	}
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

retryBtn.addEventListener("click", load);

window.addEventListener("pageshow", (ev) => {
	if (ev.persisted) setBusy(billingBtn, false);
});

load();
