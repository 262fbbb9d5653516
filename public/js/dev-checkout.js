// Development-only stand-in for Stripe Checkout: /dev/checkout?session=<cs_id>.

const $ = (id) => document.getElementById(id);
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
const PAY_LABEL = payBtn.textContent;

async function api(path, { method = "GET", body } = {}) {
	const init = { method, credentials: "same-origin", headers: { accept: "application/json" }, cache: "no-store" };
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

function isSafeUrl(url) {
	if (typeof url !== "string") return false;
	if (/^https?:\/\//i.test(url)) return true;
	return url.startsWith("/") && !url.startsWith("//") && !url.startsWith("/\\");
}

function showError(message) {
	errorBox.textContent = message;
	errorBox.hidden = false;
}

function failLoad(message) {
	loading.hidden = true;
	checkout.hidden = true;
	cancelOnly.hidden = false;
	showError(message);
}

async function load() {
	if (!sessionId) {
		failLoad("This checkout link has no session. Start again from the sign-up page.");
		return;
	}
	const res = await api(base);
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
	errorBox.hidden = true;
	payBtn.disabled = true;
	payBtn.setAttribute("aria-busy", "true");
	payBtn.textContent = "Processing…";
	const res = await api(`${base}/pay`, { method: "POST", body: { success_url: successUrl } });
	if (res.ok && res.data && isSafeUrl(res.data.redirect_url)) {
		payBtn.textContent = "Redirecting…";
		location.assign(res.data.redirect_url);
		return;
	}
	payBtn.disabled = false;
	payBtn.removeAttribute("aria-busy");
	payBtn.textContent = PAY_LABEL;
	showError(
		res.network
			? "We couldn't reach the local worker. Check that it is running and try again."
			: res.data?.message || "The payment could not be completed.",
	);
	errorBox.focus();
});

window.addEventListener("pageshow", (ev) => {
	if (ev.persisted) {
		payBtn.disabled = false;
		payBtn.removeAttribute("aria-busy");
		payBtn.textContent = PAY_LABEL;
	}
});

load();
