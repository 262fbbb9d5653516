// Forgot-password page: POST /api/portal/password-reset. The server answers the
// same for every address, so the page does too: "if an account exists…".

import { $, api, clearError, NETWORK_MESSAGE, setBusy, setFieldError, showError } from "./common.js";

const form = $("forgot-form");
const submitBtn = $("submit");
const formError = $("form-error");
const emailInput = $("email");
const sent = $("sent");

form.addEventListener("submit", async (ev) => {
	ev.preventDefault();
	if (submitBtn.disabled) return;
	setFieldError(emailInput, "");
	clearError(formError);
	const email = emailInput.value.trim();
	if (!email.includes("@")) {
		setFieldError(emailInput, "Enter the email address you use to log in.");
		emailInput.focus();
		return;
	}

	setBusy(submitBtn, true, "Sending…");
	const res = await api("/api/portal/password-reset", { method: "POST", body: { email } });
	setBusy(submitBtn, false);
	if (res.status === 202) {
		$("sent-to").textContent = email;
		form.hidden = true;
		$("intro").hidden = true;
		sent.hidden = false;
		sent.focus();
		return;
	}
	const body = res.data || {};
	if (res.network) showError(formError, NETWORK_MESSAGE);
	else if (res.status === 400) setFieldError(emailInput, body.message || "Enter a valid email address.");
	else showError(formError, body.message || "Something went wrong. Please try again in a moment.");
	(res.status === 400 ? emailInput : formError).focus();
});
