// Sign-up page: load plans, validate, POST /api/checkout, go to Checkout.

import { $, api, clearError, describedBy, NETWORK_MESSAGE, setBusy, setInvalid, showError } from "./common.js";

const form = $("signup-form");
const submitBtn = $("submit");
const formError = $("form-error");
const plansBox = $("plans");
const plansRetry = $("plans-retry");
const planFieldset = $("plan-fieldset");

let plansReady = false;
const FIELD_NAMES = ["name", "email", "plan_code"];
const FIELD_ALIASES = { plan: "plan_code", planCode: "plan_code", plan_code: "plan_code" };

// ---- error display ---------------------------------------------------------

function fieldTargets(field) {
	if (field === "plan_code") return [...plansBox.querySelectorAll("input[type=radio]")];
	const el = $(field);
	return el ? [el] : [];
}

function setFieldError(field, message) {
	const errEl = $(`${field}-error`);
	if (!errEl) return false;
	errEl.textContent = message || "";
	errEl.hidden = !message;
	for (const t of fieldTargets(field)) setInvalid(t, errEl.id, Boolean(message));
	if (field === "plan_code") {
		if (message) plansBox.setAttribute("aria-invalid", "true");
		else plansBox.removeAttribute("aria-invalid");
		describedBy(planFieldset, errEl.id, Boolean(message));
	}
	return true;
}

function clearErrors() {
	for (const f of FIELD_NAMES) setFieldError(f, "");
	clearError(formError);
}

function focusFirstInvalid() {
	for (const f of FIELD_NAMES) {
		const targets = fieldTargets(f);
		const invalid = targets.find((t) => t.getAttribute("aria-invalid") === "true");
		if (invalid) {
			const checked = targets.find((t) => t.checked);
			(checked || invalid).focus();
			return true;
		}
	}
	return false;
}

// ---- plans -------------------------------------------------------------------

function renderPlans(plans) {
	plansBox.replaceChildren();
	plansBox.removeAttribute("aria-busy");
	if (!plans.length) {
		const p = document.createElement("p");
		p.className = "muted";
		p.textContent = "No plans are available right now. Please try again later.";
		plansBox.append(p);
		plansReady = false;
		submitBtn.disabled = true;
		return;
	}
	const params = new URLSearchParams(location.search);
	const wanted = params.get("plan");
	plans.forEach((plan, i) => {
		if (!plan || typeof plan.code !== "string") return;
		const wrap = document.createElement("div");
		wrap.className = "plan-option";
		const input = document.createElement("input");
		input.type = "radio";
		input.name = "plan_code";
		input.value = plan.code;
		input.id = `plan-${plan.code}`;
		input.required = true;
		if (plan.code === wanted || (plans.length === 1 && i === 0)) input.checked = true;
		const label = document.createElement("label");
		label.htmlFor = input.id;
		const name = document.createElement("span");
		name.className = "plan-name";
		name.textContent = plan.name || plan.code;
		label.append(name);
		if (plan.price) {
			const price = document.createElement("span");
			price.className = "plan-price";
			price.textContent = plan.price;
			label.append(price);
		}
		input.addEventListener("change", () => setFieldError("plan_code", ""));
		wrap.append(input, label);
		plansBox.append(wrap);
	});
	plansReady = true;
	submitBtn.disabled = false;
}

async function loadPlans() {
	plansRetry.hidden = true;
	plansBox.setAttribute("aria-busy", "true");
	plansBox.replaceChildren();
	const p = document.createElement("p");
	p.className = "loading";
	p.textContent = "Loading plans…";
	plansBox.append(p);

	const res = await api("/api/plans");
	if (res.ok && res.data && Array.isArray(res.data.plans)) {
		renderPlans(res.data.plans);
		return;
	}
	plansBox.removeAttribute("aria-busy");
	p.className = "muted";
	p.textContent = res.network
		? "We couldn't load the plans. Check your connection and try again."
		: "We couldn't load the plans right now.";
	plansRetry.hidden = false;
	plansReady = false;
	submitBtn.disabled = true;
}

// ---- validation --------------------------------------------------------------

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function validate(values) {
	const errors = {};
	if (!values.name) errors.name = "Enter your name.";
	if (!values.email) errors.email = "Enter your email address.";
	else if (!EMAIL_RE.test(values.email)) errors.email = "Enter a valid email address, like name@example.com.";
	if (!values.plan_code) errors.plan_code = "Choose a plan.";
	return errors;
}

function setFormBusy(busy, label) {
	setBusy(submitBtn, busy, label);
	if (!plansReady) submitBtn.disabled = true;
	form.setAttribute("aria-busy", busy ? "true" : "false");
}

form.addEventListener("submit", async (ev) => {
	ev.preventDefault();
	if (submitBtn.disabled) return;
	clearErrors();

	const data = new FormData(form);
	const values = {
		name: String(data.get("name") || "").trim(),
		email: String(data.get("email") || "").trim(),
		plan_code: String(data.get("plan_code") || ""),
	};

	const errors = validate(values);
	if (Object.keys(errors).length) {
		for (const [f, m] of Object.entries(errors)) setFieldError(f, m);
		showError(formError, "Please correct the highlighted fields.");
		focusFirstInvalid();
		return;
	}

	setFormBusy(true, "Creating your checkout…");
	const res = await api("/api/checkout", { method: "POST", body: values });

	if (res.ok && res.data && typeof res.data.checkout_url === "string") {
		submitBtn.textContent = "Redirecting to payment…";
		location.assign(res.data.checkout_url);
		return;
	}

	setFormBusy(false);
	if (res.network) {
		showError(formError, NETWORK_MESSAGE);
		formError.focus();
		return;
	}

	const body = res.data || {};
	const extra = [];
	if (body.fields && typeof body.fields === "object") {
		for (const [key, msg] of Object.entries(body.fields)) {
			const field = FIELD_ALIASES[key] || key;
			const text = Array.isArray(msg) ? msg.join(" ") : String(msg);
			if (!FIELD_NAMES.includes(field) || !setFieldError(field, text)) extra.push(text);
		}
	}

	let message;
	if (res.status === 429) {
		message = body.message || "Too many attempts. Please wait a minute and try again.";
	} else if (body.message) {
		message = body.message;
	} else if (res.status >= 500) {
		message = "Something went wrong on our side. Please try again in a moment.";
	} else {
		message = "We couldn't start your checkout. Please check your details and try again.";
	}
	if (extra.length) message = `${message} ${extra.join(" ")}`;
	showError(formError, message);
	if (!focusFirstInvalid()) formError.focus();
});

for (const id of ["name", "email"]) {
	$(id).addEventListener("input", () => {
		if ($(id).getAttribute("aria-invalid") === "true") setFieldError(id, "");
	});
}

plansRetry.addEventListener("click", loadPlans);

// Coming back from Checkout with the back button restores this page from the
// back/forward cache with the button still disabled.
window.addEventListener("pageshow", (ev) => {
	if (ev.persisted) setFormBusy(false);
});

// Stripe Checkout's cancel URL brings the customer back here (?canceled=1).
if (new URLSearchParams(location.search).get("canceled") === "1") $("canceled-notice").hidden = false;

submitBtn.disabled = true;
loadPlans();
