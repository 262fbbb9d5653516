// Onboarding status page: polls GET /api/portal/setup-status?t=<token>.
//
// Schedule (divided by ?speed=N, default 1): poll at once, then every 1 s until
// 10 s, every 2 s until 30 s, every 5 s until 180 s; then stop and show the
// "Taking longer than expected" banner. Paused while the tab is hidden; polls
// at once when it becomes visible again. "Refresh status" polls now, always.

import { $, api, isLocalPath, link, setBusy } from "./common.js";

// What "Send the email again" answers, by status and error code.
const RESEND_MESSAGES = {
	202: "We sent a fresh email with a new link. It can take a minute to arrive.",
	429: "We just sent one. Please wait a minute before asking again.",
	password_already_set:
		"Your password is already set. Log in, or use “Forgot password?” on the login page to choose a new one.",
	not_ready: "Your portal is still being set up; the email follows in a moment.",
};

const params = new URLSearchParams(location.search);
const token = params.get("t") || "";
const speed = (() => {
	const n = Number.parseFloat(params.get("speed") || "1");
	return Number.isFinite(n) && n > 0 ? Math.min(n, 10000) : 1;
})();

const LIMIT_MS = 180_000;
const REQUEST_TIMEOUT_MS = 15_000;

const el = {
	headline: $("status-headline"),
	detail: $("status-detail"),
	spinner: $("status-spinner"),
	icon: $("status-icon"),
	crnLine: $("crn-line"),
	crn: $("crn"),
	failure: $("failure"),
	banner: $("timeout-banner"),
	bannerTitle: $("timeout-title"),
	bannerText: $("timeout-text"),
	bannerCrnLine: $("banner-crn-line"),
	bannerCrn: $("banner-crn"),
	supportLine: $("support-line"),
	supportEmail: $("support-email"),
	supportFallback: $("support-fallback"),
	nextStep: $("next-step"),
	steps: $("steps"),
	pollError: $("poll-error"),
	lastChecked: $("last-checked"),
	refresh: $("refresh"),
};

const state = {
	startedAt: 0, // performance.now() of the first poll
	lastPollAt: 0,
	timer: 0,
	seq: 0,
	stopped: false, // automatic polling finished (timeout, failure, done, invalid)
	stopReason: "",
	timedOut: false,
	view: "", // current view kind
	crn: "",
	supportEmail: "",
	planCode: "",
};

// ---- schedule -------------------------------------------------------------

function elapsed() {
	return performance.now() - state.startedAt;
}

function intervalAt(ms) {
	const s = (ms * speed) / 1000; // schedule time in seconds
	if (s < 10) return 1000 / speed;
	if (s < 30) return 2000 / speed;
	return 5000 / speed;
}

function clearTimer() {
	if (state.timer) clearTimeout(state.timer);
	state.timer = 0;
}

function scheduleNext() {
	clearTimer();
	if (state.stopped || document.hidden) return;
	const e = elapsed();
	const limit = LIMIT_MS / speed;
	if (e >= limit) {
		onTimeout();
		return;
	}
	// Intervals run from the start of the previous poll, so request latency
	// does not stretch the schedule.
	const sinceLast = performance.now() - state.lastPollAt;
	const wait = Math.max(0, Math.min(intervalAt(e) - sinceLast, limit - e));
	state.timer = setTimeout(() => {
		state.timer = 0;
		poll();
	}, wait);
}

function stopPolling(reason) {
	state.stopped = true;
	state.stopReason = reason;
	clearTimer();
}

function onTimeout() {
	stopPolling("timeout");
	state.timedOut = true;
	// Nothing to worry about once the portal is ready, and nothing to wait for when the checkout ended unpaid.
	if (["ready", "done", "invalid", "unpaid"].includes(state.view)) return;
	if (state.view === "failed") return; // banner already shown
	showBanner("timeout");
}

// ---- network --------------------------------------------------------------

function fetchStatus() {
	return api(`/api/portal/setup-status?t=${encodeURIComponent(token)}`, {
		cache: "no-store",
		timeoutMs: REQUEST_TIMEOUT_MS,
	});
}

async function poll({ manual = false } = {}) {
	if (!state.startedAt) state.startedAt = performance.now();
	state.lastPollAt = performance.now();
	const seq = ++state.seq;
	if (manual) setBusy(el.refresh, true);
	const res = await fetchStatus();
	if (manual) setBusy(el.refresh, false);
	if (seq !== state.seq) return; // a newer poll superseded this one

	if (res.status === 200 && res.data && typeof res.data === "object") {
		el.pollError.hidden = true;
		render(res.data);
	} else if (res.status === 404) {
		renderInvalid();
	} else {
		el.pollError.textContent =
			res.status === 0
				? "We're having trouble reaching the server. We'll keep trying."
				: res.status === 429
					? "We're checking a little too often — we'll try again shortly."
					: "We couldn't get the latest status. We'll keep trying.";
		el.pollError.hidden = false;
	}
	scheduleNext();
}

// ---- rendering ------------------------------------------------------------

function setHeadline(text) {
	// Only touch the live region when the text really changes, so assistive
	// technology announces status changes, not every poll.
	if (el.headline.textContent !== text) el.headline.textContent = text;
}

function setIndicator(kind) {
	// kind: "busy" | "done" | "failed" | "attention"
	el.spinner.hidden = kind !== "busy";
	el.icon.hidden = kind === "busy";
	if (kind !== "busy") el.icon.dataset.kind = kind;
}

function setStep(name, stepState, text) {
	const li = $(`step-${name}`);
	li.dataset.state = stepState;
	$(`step-${name}-state`).textContent = text;
	if (stepState === "active") li.setAttribute("aria-current", "step");
	else li.removeAttribute("aria-current");
}

function setNextStep(nodes) {
	el.nextStep.replaceChildren(...nodes);
	el.nextStep.hidden = nodes.length === 0;
}

function para(...parts) {
	const p = document.createElement("p");
	p.append(...parts);
	return p;
}

function isPlausibleEmail(v) {
	return typeof v === "string" && /^[^\s@<>"?&]+@[^\s@<>"?&]+$/.test(v);
}

function updateContact() {
	el.bannerCrn.textContent = state.crn;
	el.bannerCrnLine.hidden = !state.crn;
	if (state.supportEmail) {
		el.supportEmail.href = `mailto:${state.supportEmail}`;
		el.supportEmail.textContent = state.supportEmail;
		el.supportLine.hidden = false;
		el.supportFallback.hidden = true;
	} else {
		el.supportLine.hidden = true;
		el.supportFallback.hidden = false;
	}
}

function showBanner(kind) {
	if (kind === "failed") {
		el.bannerTitle.textContent = "Contact support";
		el.bannerText.textContent = "Quote your customer reference and we'll finish setting up your portal.";
	} else {
		el.bannerTitle.textContent = "Taking longer than expected";
		el.bannerText.textContent =
			"Set-up is taking longer than usual. You can keep this page open and press “Refresh status”, or contact us and we'll sort it out.";
	}
	updateContact();
	el.banner.hidden = false;
}

function hideBanner() {
	el.banner.hidden = true;
}

function classify(d) {
	const pay = d.payment_state;
	const prov = d.provisioning_state;
	const next = d.next_action;
	if (prov === "failed") return "failed";
	if (next === "go_to_dashboard") return "done";
	if (next === "set_password") return "ready";
	if (pay === "unpaid") return "unpaid";
	if (pay === "confirming") return "confirming";
	if (pay === "paid" && prov === "not_started") return "paid";
	if (prov === "queued" || prov === "running") return "setup";
	if (pay === "paid") return "setup"; // e.g. completed, email on its way
	return "unknown";
}

function render(d) {
	if (typeof d.crn === "string" && d.crn) state.crn = d.crn;
	if (isPlausibleEmail(d.support_email)) state.supportEmail = d.support_email;
	if (typeof d.plan_code === "string" && /^[A-Za-z0-9_-]{1,40}$/.test(d.plan_code)) state.planCode = d.plan_code;

	el.crn.textContent = state.crn;
	el.crnLine.hidden = !state.crn;
	el.steps.hidden = false;
	updateContact();

	const view = classify(d);
	state.view = view;

	// An operator retried a failed job and "Refresh status" shows it moving
	// again: start a fresh polling schedule.
	if (state.stopped && state.stopReason === "failed" && view !== "failed") {
		state.stopped = false;
		state.stopReason = "";
		state.startedAt = performance.now();
	}
	const pay = d.payment_state;
	const prov = d.provisioning_state;

	// Step 1: payment
	if (pay === "paid") setStep("payment", "done", "Payment complete");
	else if (pay === "confirming") setStep("payment", "active", "Confirming");
	else if (pay === "unpaid") setStep("payment", "attention", "Not completed");
	else setStep("payment", "pending", "Waiting");

	// Step 2: portal setup
	if (prov === "completed") setStep("provisioning", "done", "Ready");
	else if (prov === "running") setStep("provisioning", "active", "In progress");
	else if (prov === "queued") setStep("provisioning", "active", "Queued");
	else if (prov === "failed") setStep("provisioning", "failed", "Failed");
	else if (pay === "paid") setStep("provisioning", "active", "Starting");
	else setStep("provisioning", "pending", "Waiting");

	// Step 3: set password
	if (d.password_state === "set") setStep("password", "done", "Done");
	else if (d.next_action === "set_password") setStep("password", "active", "Check your inbox");
	else setStep("password", "pending", "Waiting");

	el.failure.hidden = view !== "failed";

	switch (view) {
		case "failed":
			setHeadline("Portal setup failed");
			el.detail.textContent = "Something went wrong while creating your portal.";
			setIndicator("failed");
			setNextStep([]);
			showBanner("failed");
			stopPolling("failed");
			break;
		case "done":
			setHeadline("Your account is ready");
			el.detail.textContent = "Your password is set. You can sign in to your dashboard.";
			setIndicator("done");
			setNextStep([link("/dashboard", "Go to your dashboard", { id: "dashboard-link", className: "btn btn-primary" })]);
			hideBanner();
			stopPolling("done");
			break;
		case "ready": {
			setHeadline("Your portal is ready — check your inbox for the email with your set-password link");
			el.detail.textContent = "It can take a minute to arrive. If you can't find it, check your spam folder.";
			setIndicator("done");
			const nodes = [resendControls()];
			const outbox = d.dev && typeof d.dev === "object" ? d.dev.outbox_url : undefined;
			if (isLocalPath(outbox)) {
				nodes.push(
					para(
						"Local development: emails are not sent. ",
						link(outbox, "Open the local outbox", { id: "open-outbox" }),
					),
				);
			}
			setNextStep(nodes);
			hideBanner();
			// Keep polling (schedule permitting) so the page notices a password
			// set in another tab; the timeout banner is not shown for this state.
			break;
		}
		case "unpaid":
			setHeadline("Checkout ended without payment");
			el.detail.textContent = "Nothing was charged. The checkout expired or the payment did not go through.";
			setIndicator("attention");
			setNextStep([
				para(
					link(state.planCode ? `/?plan=${encodeURIComponent(state.planCode)}` : "/", "Start again", {
						id: "signup-link",
						className: "btn btn-primary",
					}),
				),
			]);
			break;
		case "confirming":
			setHeadline("Confirming…");
			el.detail.textContent = "We're waiting for confirmation of your payment. This usually takes a few seconds.";
			setIndicator("busy");
			setNextStep([]);
			break;
		case "paid":
			setHeadline("Payment complete");
			el.detail.textContent = "Thank you! We're about to start setting up your portal.";
			setIndicator("busy");
			setNextStep([]);
			break;
		case "setup":
			setHeadline(pay === "paid" ? "Payment complete. Portal setup in progress…" : "Portal setup in progress…");
			el.detail.textContent =
				prov === "running"
					? "We're creating your portal now. This usually takes less than a minute."
					: "Your portal is queued for set-up. This usually takes less than a minute.";
			setIndicator("busy");
			setNextStep([]);
			break;
		default:
			setHeadline("Checking your status…");
			el.detail.textContent = "This page updates by itself — you don't need to reload it.";
			setIndicator("busy");
			setNextStep([]);
	}

	if (state.timedOut && !["failed", "ready", "done", "unpaid"].includes(view)) {
		showBanner("timeout");
	}

	el.lastChecked.textContent = `Last checked ${new Date().toLocaleTimeString()}`;
}

// Kept across renders, so a poll does not wipe the answer the customer just got.
let resendBox = null;

function resendControls() {
	if (resendBox) return resendBox;
	const button = document.createElement("button");
	button.type = "button";
	button.id = "resend";
	button.className = "btn btn-secondary";
	button.textContent = "Send the email again";
	const result = document.createElement("p");
	result.id = "resend-result";
	result.className = "small";
	result.setAttribute("role", "status");
	result.setAttribute("aria-live", "polite");
	button.addEventListener("click", async () => {
		if (button.disabled) return;
		setBusy(button, true, "Sending…");
		const res = await api("/api/portal/setup-link", { method: "POST", body: { t: token } });
		setBusy(button, false);
		result.textContent = res.network
			? "We couldn't reach the server. Check your connection and try again."
			: (RESEND_MESSAGES[res.status] ??
				RESEND_MESSAGES[res.data?.error] ??
				res.data?.message ??
				"We couldn't send the email. Please try again in a moment.");
	});
	resendBox = document.createElement("div");
	resendBox.className = "resend";
	resendBox.append(para("Didn't get it? "), button, result);
	return resendBox;
}

function renderInvalid() {
	state.view = "invalid";
	stopPolling("invalid");
	setHeadline("This onboarding link is not valid");
	el.detail.textContent =
		"Please use the full link from your payment confirmation. If you've already paid, contact support and we'll help you finish.";
	setIndicator("failed");
	el.steps.hidden = true;
	el.failure.hidden = true;
	el.crnLine.hidden = true;
	$("status-footer").hidden = true;
	el.pollError.hidden = true;
	hideBanner();
	setNextStep([para(link("/", "Go to the sign-up page"))]);
}

// ---- wiring ---------------------------------------------------------------

el.refresh.addEventListener("click", () => {
	clearTimer();
	poll({ manual: true });
});

document.addEventListener("visibilitychange", () => {
	if (document.hidden) {
		clearTimer();
	} else if (!state.stopped) {
		poll();
	}
});

if (!token) {
	renderInvalid();
} else {
	poll();
}
