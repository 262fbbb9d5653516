// Set-password page: /set-password?token=… → POST /api/portal/password.

const form = document.getElementById("password-form");
const submitBtn = document.getElementById("submit");
const formError = document.getElementById("form-error");
const success = document.getElementById("success");
const intro = document.getElementById("intro");
const passwordInput = document.getElementById("password");
const confirmInput = document.getElementById("confirm");
const showPasswords = document.getElementById("show-passwords");

const SUBMIT_LABEL = submitBtn.textContent;

// Read the token once, keep it in memory only, and drop it from the visible
// URL (history, screenshots, shoulder-surfing).
const params = new URLSearchParams(location.search);
const token = params.get("token") || "";
if (params.has("token")) {
	params.delete("token");
	const rest = params.toString();
	history.replaceState(history.state, "", `${location.pathname}${rest ? `?${rest}` : ""}${location.hash}`);
}

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

function showFormError(nodes) {
	formError.replaceChildren(...(Array.isArray(nodes) ? nodes : [nodes]));
	formError.hidden = false;
}

function clearErrors() {
	setFieldError(passwordInput, "");
	setFieldError(confirmInput, "");
	formError.hidden = true;
	formError.replaceChildren();
}

function linkTo(href, text) {
	const a = document.createElement("a");
	a.href = href;
	a.textContent = text;
	return a;
}

function disableForm(message) {
	form.hidden = true;
	intro.hidden = true;
	showFormError(message);
}

function setBusy(busy) {
	submitBtn.disabled = busy;
	submitBtn.setAttribute("aria-busy", busy ? "true" : "false");
	submitBtn.textContent = busy ? "Setting password…" : SUBMIT_LABEL;
}

function validate(pw, confirm) {
	let ok = true;
	if (pw.length < 12) {
		setFieldError(passwordInput, "Use at least 12 characters.");
		ok = false;
	} else if (/^(.)\1*$/su.test(pw)) {
		setFieldError(passwordInput, "Don't use a single character repeated.");
		ok = false;
	}
	if (ok && pw !== confirm) {
		setFieldError(confirmInput, "The passwords don't match.");
		ok = false;
	}
	return ok;
}

form.addEventListener("submit", async (ev) => {
	ev.preventDefault();
	if (submitBtn.disabled) return;
	clearErrors();

	const pw = passwordInput.value;
	if (!validate(pw, confirmInput.value)) {
		(passwordInput.getAttribute("aria-invalid") === "true" ? passwordInput : confirmInput).focus();
		return;
	}

	setBusy(true);
	const res = await api("/api/portal/password", { method: "POST", body: { token, password: pw } });

	if (res.ok) {
		form.hidden = true;
		intro.hidden = true;
		success.hidden = false;
		success.focus();
		return;
	}
	setBusy(false);

	const body = res.data || {};
	const code = body.error;
	if (res.network) {
		showFormError("We couldn't reach the server. Check your connection and try again.");
		formError.focus();
	} else if (res.status === 410 || code === "token_expired") {
		disableForm([
			"This link has expired. For your security, set-password links only work for a limited time. Please contact support to request a new link.",
		]);
		formError.focus();
	} else if (code === "token_used") {
		disableForm([
			"This link has already been used, so your password is set. ",
			linkTo("/login", "Log in"),
			" — or contact support if you didn't set it.",
		]);
		formError.focus();
	} else if (code === "invalid_token") {
		disableForm([
			"This set-password link is not valid. Please open the full link from your welcome email, or contact support to request a new link.",
		]);
		formError.focus();
	} else if (code === "weak_password") {
		setFieldError(passwordInput, body.message || "This password doesn't meet the requirements.");
		passwordInput.focus();
	} else if (res.status === 429) {
		showFormError(body.message || "Too many attempts. Please wait a minute and try again.");
		formError.focus();
	} else {
		showFormError(body.message || "Something went wrong. Please try again in a moment.");
		formError.focus();
	}
});

for (const input of [passwordInput, confirmInput]) {
	input.addEventListener("input", () => {
		if (input.getAttribute("aria-invalid") === "true") setFieldError(input, "");
	});
}

showPasswords.addEventListener("change", () => {
	const type = showPasswords.checked ? "text" : "password";
	passwordInput.type = type;
	confirmInput.type = type;
});

if (!token) {
	disableForm([
		"This page needs the set-password link from your welcome email. Please open the link from the email again, or contact support to request a new one.",
	]);
}
