// Dashboard: GET /api/portal/me, billing portal, logout.

import { $, api, clearError, isSafeUrl, NETWORK_MESSAGE, setBusy, showError } from "./common.js";

const greeting = $("greeting");
const account = $("account");
const errorBox = $("dashboard-error");
const billingBtn = $("manage-billing");
const logoutBtn = $("logout");
const retryBtn = $("retry");

function toLogin() {
	location.replace("/login");
}

function errorMessage(res, fallback) {
	if (res.network) return NETWORK_MESSAGE;
	return res.data?.message || fallback;
}

const STATUS = {
	active: ["Active", "good"],
	trialing: ["Trial", "good"],
	paid: ["Active", "good"],
	past_due: ["Payment overdue", "warn"],
	unpaid: ["Unpaid", "bad"],
	incomplete: ["Awaiting payment", "warn"],
	incomplete_expired: ["Payment expired", "bad"],
	paused: ["Paused", "warn"],
	canceled: ["Cancelled", "bad"],
};

function humanise(value) {
	const s = String(value || "")
		.replace(/_/g, " ")
		.trim();
	return s ? s[0].toUpperCase() + s.slice(1) : "Unknown";
}

function render(me) {
	const name = me.name || "";
	greeting.textContent = name ? `Welcome back, ${name}.` : "Welcome back.";
	$("account-name").textContent = name || "—";
	$("account-email").textContent = me.email || "—";
	$("account-crn").textContent = me.crn || "—";
	$("account-plan").textContent = me.plan_name || me.plan_code || "—";
	const badge = $("subscription-status");
	const [label, tone] = STATUS[me.subscription_status] || [humanise(me.subscription_status), ""];
	badge.textContent = label;
	if (tone) badge.dataset.tone = tone;
	else delete badge.dataset.tone;
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

billingBtn.addEventListener("click", async () => {
	if (billingBtn.disabled) return;
	clearError(errorBox);
	setBusy(billingBtn, true, "Opening billing…");
	const res = await api("/api/portal/billing", { method: "POST", body: {} });
	if (res.status === 401) {
		toLogin();
		return;
	}
	if (res.ok && res.data && isSafeUrl(res.data.url)) {
		location.assign(res.data.url);
		return;
	}
	setBusy(billingBtn, false);
	showError(errorBox, errorMessage(res, "We couldn't open the billing portal. Please try again in a moment."));
	errorBox.focus();
});

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
