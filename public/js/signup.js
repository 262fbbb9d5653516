// Sign-up page: load plans, validate, POST /api/checkout, go to Checkout.

const form = document.getElementById("signup-form");
const submitBtn = document.getElementById("submit");
const formError = document.getElementById("form-error");
const plansBox = document.getElementById("plans");
const plansRetry = document.getElementById("plans-retry");
const planFieldset = document.getElementById("plan-fieldset");

const SUBMIT_LABEL = submitBtn.textContent;
let plansReady = false;
const FIELD_NAMES = ["name", "email", "plan_code"];
const FIELD_ALIASES = { plan: "plan_code", planCode: "plan_code", plan_code: "plan_code" };

async function api(path, { method = "GET", body } = {}) {
	const init = { method, credentials: "same-origin", headers: { accept: "application/json" } };
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
	return { ok: res.ok, status: res.status, data, headers: res.headers };
}

// ---- error display ---------------------------------------------------------

function describedBy(el, id, on) {
	const ids = new Set((el.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean));
	if (on) ids.add(id);
	else ids.delete(id);
	if (ids.size) el.setAttribute("aria-describedby", [...ids].join(" "));
	else el.removeAttribute("aria-describedby");
}

function fieldTargets(field) {
	if (field === "plan_code") return [...plansBox.querySelectorAll("input[type=radio]")];
	const el = document.getElementById(field);
	return el ? [el] : [];
}

function setFieldError(field, message) {
	const errEl = document.getElementById(`${field}-error`);
	if (!errEl) return false;
	const targets = fieldTargets(field);
	if (message) {
		errEl.textContent = message;
		errEl.hidden = false;
		for (const t of targets) {
			t.setAttribute("aria-invalid", "true");
			describedBy(t, errEl.id, true);
		}
		if (field === "plan_code") {
			plansBox.setAttribute("aria-invalid", "true");
			describedBy(planFieldset, errEl.id, true);
		}
	} else {
		errEl.textContent = "";
		errEl.hidden = true;
		for (const t of targets) {
			t.removeAttribute("aria-invalid");
			describedBy(t, errEl.id, false);
		}
		if (field === "plan_code") {
			plansBox.removeAttribute("aria-invalid");
			describedBy(planFieldset, errEl.id, false);
		}
	}
	return true;
}

function clearErrors() {
	for (const f of FIELD_NAMES) setFieldError(f, "");
	formError.hidden = true;
	formError.textContent = "";
}

function showFormError(message) {
	formError.textContent = message;
	formError.hidden = false;
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

function setBusy(busy, label) {
	submitBtn.disabled = busy || !plansReady;
	submitBtn.setAttribute("aria-busy", busy ? "true" : "false");
	submitBtn.textContent = busy ? label || "Please wait…" : SUBMIT_LABEL;
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
		showFormError("Please correct the highlighted fields.");
		focusFirstInvalid();
		return;
	}

	setBusy(true, "Creating your checkout…");
	const res = await api("/api/checkout", { method: "POST", body: values });

	if (res.ok && res.data && typeof res.data.checkout_url === "string") {
		submitBtn.textContent = "Redirecting to payment…";
		location.assign(res.data.checkout_url);
		return;
	}

	setBusy(false);
	if (res.network) {
		showFormError("We couldn't reach the server. Check your connection and try again.");
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
	showFormError(message);
	if (!focusFirstInvalid()) formError.focus();
});

for (const id of ["name", "email"]) {
	document.getElementById(id).addEventListener("input", () => {
		if (document.getElementById(id).getAttribute("aria-invalid") === "true") setFieldError(id, "");
	});
}

plansRetry.addEventListener("click", loadPlans);

// Coming back from Checkout with the back button restores this page from the
// back/forward cache with the button still disabled.
window.addEventListener("pageshow", (ev) => {
	if (ev.persisted) setBusy(false);
});

submitBtn.disabled = true;
loadPlans();
