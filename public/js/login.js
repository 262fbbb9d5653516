// Login page: POST /api/portal/login → /dashboard.

const form = document.getElementById("login-form");
const submitBtn = document.getElementById("submit");
const formError = document.getElementById("form-error");
const emailInput = document.getElementById("email");
const passwordInput = document.getElementById("password");

const SUBMIT_LABEL = submitBtn.textContent;

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
	return { ok: res.ok, status: res.status, data };
}

function describedBy(input, id, on) {
	const ids = new Set((input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean));
	if (on) ids.add(id);
	else ids.delete(id);
	if (ids.size) input.setAttribute("aria-describedby", [...ids].join(" "));
	else input.removeAttribute("aria-describedby");
}

function setFieldError(input, message) {
	const errEl = document.getElementById(`${input.id}-error`);
	errEl.textContent = message || "";
	errEl.hidden = !message;
	if (message) input.setAttribute("aria-invalid", "true");
	else input.removeAttribute("aria-invalid");
	describedBy(input, errEl.id, Boolean(message));
}

function showFormError(message) {
	formError.textContent = message;
	formError.hidden = false;
}

function clearErrors() {
	setFieldError(emailInput, "");
	setFieldError(passwordInput, "");
	formError.hidden = true;
	formError.textContent = "";
}

function setBusy(busy) {
	submitBtn.disabled = busy;
	submitBtn.setAttribute("aria-busy", busy ? "true" : "false");
	submitBtn.textContent = busy ? "Logging in…" : SUBMIT_LABEL;
}

form.addEventListener("submit", async (ev) => {
	ev.preventDefault();
	if (submitBtn.disabled) return;
	clearErrors();

	const email = emailInput.value.trim();
	const password = passwordInput.value;
	let firstInvalid = null;
	if (!email) {
		setFieldError(emailInput, "Enter your email address.");
		firstInvalid = emailInput;
	}
	if (!password) {
		setFieldError(passwordInput, "Enter your password.");
		firstInvalid = firstInvalid || passwordInput;
	}
	if (firstInvalid) {
		firstInvalid.focus();
		return;
	}

	setBusy(true);
	const res = await api("/api/portal/login", { method: "POST", body: { email, password } });
	if (res.ok) {
		submitBtn.textContent = "Opening your dashboard…";
		location.assign("/dashboard");
		return;
	}
	setBusy(false);

	const body = res.data || {};
	if (res.network) {
		showFormError("We couldn't reach the server. Check your connection and try again.");
	} else if (res.status === 401 || body.error === "invalid_credentials") {
		// Deliberately generic: never reveal which of the two was wrong.
		showFormError("The email address or password is incorrect.");
		passwordInput.value = "";
	} else if (res.status === 429) {
		showFormError(body.message || "Too many attempts. Please wait a minute and try again.");
	} else if (res.status === 400 && body.fields && typeof body.fields === "object") {
		if (body.fields.email) setFieldError(emailInput, String(body.fields.email));
		if (body.fields.password) setFieldError(passwordInput, String(body.fields.password));
		showFormError(body.message || "Please check the highlighted fields.");
	} else {
		showFormError(body.message || "Something went wrong. Please try again in a moment.");
	}
	formError.focus();
});

window.addEventListener("pageshow", (ev) => {
	if (ev.persisted) setBusy(false);
});
