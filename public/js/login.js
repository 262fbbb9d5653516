// Login page: POST /api/portal/login → /dashboard.

import { $, api, clearError, NETWORK_MESSAGE, setBusy, setFieldError, showError } from "./common.js";

const form = $("login-form");
const submitBtn = $("submit");
const formError = $("form-error");
const emailInput = $("email");
const passwordInput = $("password");

function clearErrors() {
	setFieldError(emailInput, "");
	setFieldError(passwordInput, "");
	clearError(formError);
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

	setBusy(submitBtn, true, "Logging in…");
	const res = await api("/api/portal/login", { method: "POST", body: { email, password } });
	if (res.ok) {
		submitBtn.textContent = "Opening your dashboard…";
		location.assign("/dashboard");
		return;
	}
	setBusy(submitBtn, false);

	const body = res.data || {};
	if (res.network) {
		showError(formError, NETWORK_MESSAGE);
	} else if (res.status === 401 || body.error === "invalid_credentials") {
		// Deliberately generic: never reveal which of the two was wrong.
		showError(formError, "The email address or password is incorrect.");
		passwordInput.value = "";
	} else if (res.status === 429) {
		showError(formError, body.message || "Too many attempts. Please wait a minute and try again.");
	} else if (res.status === 400 && body.fields && typeof body.fields === "object") {
		if (body.fields.email) setFieldError(emailInput, String(body.fields.email));
		if (body.fields.password) setFieldError(passwordInput, String(body.fields.password));
		showError(formError, body.message || "Please check the highlighted fields.");
	} else {
		showError(formError, body.message || "Something went wrong. Please try again in a moment.");
	}
	formError.focus();
});

window.addEventListener("pageshow", (ev) => {
	if (ev.persisted) setBusy(submitBtn, false);
});
