// Development-only stand-in for Stripe Checkout: /dev/checkout?session=<cs_id>.

import { $, api, clearError, isSafeUrl, setBusy, showError } from "./common.js";

const errorBox = $("checkout-error");
const loading = $("checkout-loading");
const checkout = $("checkout");
const payBtn = $("pay");
const cancelOnly = $("cancel-only");

const params = new URLSearchParams(location.search);
const sessionId = params.get("session") || "";
// Stripe keeps the success URL server-side; the stand-in carries it in its own URL.
const successUrl = params.get("success") || "";
const base = `/api/dev/checkout/${encodeURIComponent(sessionId)}`;

function failLoad(message) {
	loading.hidden = true;
	checkout.hidden = true;
	cancelOnly.hidden = false;
	showError(errorBox, message);
}

async function load() {
	if (!sessionId) {
		failLoad("This checkout link has no session. Start again from the sign-up page.");
		return;
	}
	const res = await api(base, { cache: "no-store" });
	if (res.ok && res.data) {
		const s = res.data;
		$("checkout-email").textContent = s.email || "—";
		$("checkout-plan").textContent = s.plan_name || s.plan_code || "—";
		$("checkout-amount").textContent = s.amount_display || "—";
		loading.hidden = true;
		checkout.hidden = false;
		return;
	}
	if (res.network) failLoad("We couldn't reach the local worker. Is `npm run dev` running?");
	else if (res.status === 404)
		failLoad(res.data?.message || "This checkout session was not found, or development checkout is not enabled.");
	else failLoad(res.data?.message || "We couldn't load this checkout session.");
}

payBtn.addEventListener("click", async () => {
	if (payBtn.disabled) return;
	clearError(errorBox);
	setBusy(payBtn, true, "Processing…");
	const res = await api(`${base}/pay`, { method: "POST", body: { success_url: successUrl } });
	if (res.ok && res.data && isSafeUrl(res.data.redirect_url)) {
		payBtn.textContent = "Redirecting…";
		location.assign(res.data.redirect_url);
		return;
	}
	setBusy(payBtn, false);
	showError(
		errorBox,
		res.network
			? "We couldn't reach the local worker. Check that it is running and try again."
			: res.data?.message || "The payment could not be completed.",
	);
	errorBox.focus();
});

window.addEventListener("pageshow", (ev) => {
	if (ev.persisted) setBusy(payBtn, false);
});

load();
