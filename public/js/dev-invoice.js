// Development-only stand-in for Stripe's hosted invoice page: /dev/invoice?crn=…
// "Pay" posts the renewal_paid money event for that plan.

import { $, api, clearError, setBusy, showError } from "./common.js";

const crn = new URLSearchParams(location.search).get("crn") || "";
const payBtn = $("pay");
const errorBox = $("invoice-error");
const statusEl = $("invoice-status");

$("invoice-crn").textContent = crn || "—";
payBtn.disabled = !crn;
if (!crn) showError(errorBox, "This invoice link names no plan. Open it from the dashboard or the money page.");

payBtn.addEventListener("click", async () => {
	if (payBtn.disabled) return;
	clearError(errorBox);
	setBusy(payBtn, true, "Paying…");
	const res = await api(`/api/dev/plans/${encodeURIComponent(crn)}/events`, {
		method: "POST",
		body: { event: "renewal_paid" },
	});
	setBusy(payBtn, false);
	if (res.ok) {
		payBtn.hidden = true;
		statusEl.textContent = "Paid. Your plan's access is restored.";
		return;
	}
	showError(
		errorBox,
		res.network
			? "We couldn't reach the local worker. Is `npm run dev` running?"
			: res.data?.message || "The invoice could not be paid.",
	);
	errorBox.focus();
});
