// Dashboard: GET /api/portal/me, billing portal, logout.

const $ = (id) => document.getElementById(id);
const greeting = $("greeting");
const account = $("account");
const errorBox = $("dashboard-error");
const billingBtn = $("manage-billing");
const logoutBtn = $("logout");
const retryBtn = $("retry");

async function api(path, { method = "GET", body } = {}) {
	const init = { method, credentials: "same-origin", headers: { accept: "application/json" }, cache: "no-store" };
	if (method !== "GET") {
		init.headers["content-type"] = "application/json";
		init.body = JSON.stringify(body ?? {});
	}
	let res;
	try {
		res = await fetch(path, init);
	} catch {
		return { ok: false, status: 0, network: true, data: null };
	}
	let data = null;
	try {
		data = await res.json();
	} catch {
		data = null;
	}
	return { ok: res.ok, status: res.status, data };
}

function isSafeUrl(url) {
	if (typeof url !== "string") return false;
	if (/^https?:\/\//i.test(url)) return true;
	return url.startsWith("/") && !url.startsWith("//") && !url.startsWith("/\\");
}

function toLogin() {
	location.replace("/login");
}

function showError(message) {
	errorBox.textContent = message;
	errorBox.hidden = false;
}

function clearError() {
	errorBox.hidden = true;
	errorBox.textContent = "";
}

function errorMessage(res, fallback) {
	if (res.network) return "We couldn't reach the server. Check your connection and try again.";
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
	cancelled: ["Cancelled", "bad"],
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
	clearError();
	retryBtn.hidden = true;
	greeting.textContent = "Loading your account…";
	const res = await api("/api/portal/me");
	if (res.status === 401) {
		toLogin();
		return;
	}
	if (res.ok && res.data) {
		render(res.data);
		return;
	}
	greeting.textContent = "";
	showError(errorMessage(res, "We couldn't load your account. Please try again."));
	retryBtn.hidden = false;
	logoutBtn.hidden = false;
}

billingBtn.addEventListener("click", async () => {
	if (billingBtn.disabled) return;
	clearError();
	const label = billingBtn.textContent;
	billingBtn.disabled = true;
	billingBtn.setAttribute("aria-busy", "true");
	billingBtn.textContent = "Opening billing…";
	const res = await api("/api/portal/billing", { method: "POST", body: {} });
	if (res.status === 401) {
		toLogin();
		return;
	}
	if (res.ok && res.data && isSafeUrl(res.data.url)) {
		location.assign(res.data.url);
		return;
	}
	billingBtn.disabled = false;
	billingBtn.removeAttribute("aria-busy");
	billingBtn.textContent = label;
	showError(errorMessage(res, "We couldn't open the billing portal. Please try again in a moment."));
	errorBox.focus();
});

logoutBtn.addEventListener("click", async () => {
	if (logoutBtn.disabled) return;
	clearError();
	logoutBtn.disabled = true;
	logoutBtn.setAttribute("aria-busy", "true");
	const res = await api("/api/portal/logout", { method: "POST", body: {} });
	if (res.ok || res.status === 401) {
		location.assign("/login");
		return;
	}
	logoutBtn.disabled = false;
	logoutBtn.removeAttribute("aria-busy");
	showError(errorMessage(res, "We couldn't log you out. Please try again."));
	errorBox.focus();
});

retryBtn.addEventListener("click", load);

window.addEventListener("pageshow", (ev) => {
	if (ev.persisted) {
		billingBtn.disabled = false;
		billingBtn.removeAttribute("aria-busy");
		billingBtn.textContent = "Manage billing";
	}
});

load();
