// Set-password page: /set-password?token=… → POST /api/portal/password.

import { $, api, clearError, link, NETWORK_MESSAGE, setBusy, setFieldError, showError } from "./common.js";

const form = $("password-form");
const submitBtn = $("submit");
const formError = $("form-error");
const success = $("success");
const intro = $("intro");
const passwordInput = $("password");
const confirmInput = $("confirm");
const showPasswords = $("show-passwords");

// Read the token once, keep it in memory only, and drop it from the visible
// URL (history, screenshots, shoulder-surfing).
const params = new URLSearchParams(location.search);
const token = params.get("token") || "";
if (params.has("token")) {
	params.delete("token");
	const rest = params.toString();
	history.replaceState(history.state, "", `${location.pathname}${rest ? `?${rest}` : ""}${location.hash}`);
}

function clearErrors() {
	setFieldError(passwordInput, "");
	setFieldError(confirmInput, "");
	clearError(formError);
}

function disableForm(message) {
	form.hidden = true;
	intro.hidden = true;
	showError(formError, message);
}

// The server's policy is the rule (src/rules/password-policy.ts). The page checks
// only what it can know sooner: the length the input declares, and that both fields
// match. Anything else comes back as the server's own message.
const minLength = passwordInput.minLength;

function validate(pw, confirm) {
	if (pw.length < minLength) {
		setFieldError(passwordInput, `Use at least ${minLength} characters.`);
		return false;
	}
	if (pw !== confirm) {
		setFieldError(confirmInput, "The passwords don't match.");
		return false;
	}
	return true;
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

	setBusy(submitBtn, true, "Setting password…");
	const res = await api("/api/portal/password", { method: "POST", body: { token, password: pw } });

	if (res.ok) {
		form.hidden = true;
		intro.hidden = true;
		success.hidden = false;
		success.focus();
		return;
	}
	setBusy(submitBtn, false);

	const body = res.data || {};
	const code = body.error;
	if (res.network) {
		showError(formError, NETWORK_MESSAGE);
		formError.focus();
	} else if (res.status === 410 || code === "token_expired") {
		disableForm([
			"This link has expired: set-password links only work for a limited time. ",
			link("/forgot-password", "Get a new link", { id: "new-link" }),
			".",
		]);
		formError.focus();
	} else if (code === "token_used") {
		disableForm([
			"This link was already used, or a newer link replaced it. ",
			link("/login", "Log in"),
			", or ",
			link("/forgot-password", "get a new link", { id: "new-link" }),
			".",
		]);
		formError.focus();
	} else if (code === "invalid_token") {
		disableForm([
			"This set-password link is not valid. Please open the full link from your email, or ",
			link("/forgot-password", "get a new link", { id: "new-link" }),
			".",
		]);
		formError.focus();
	} else if (code === "weak_password") {
		setFieldError(passwordInput, body.message || "This password doesn't meet the requirements.");
		passwordInput.focus();
	} else if (res.status === 429) {
		showError(formError, body.message || "Too many attempts. Please wait a minute and try again.");
		formError.focus();
	} else {
		showError(formError, body.message || "Something went wrong. Please try again in a moment.");
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
		"This page needs the set-password link from your email. Please open the link from the email again, or ",
		link("/forgot-password", "get a new link", { id: "new-link" }),
		".",
	]);
}
