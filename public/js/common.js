// Helpers shared by the page scripts (loaded as ES modules; CSP script-src 'self').

export const $ = (id) => document.getElementById(id);

export const NETWORK_MESSAGE = "We couldn't reach the server. Check your connection and try again.";

/**
 * Same-origin JSON request. Non-GET requests send `body` as JSON.
 * Resolves to { ok, status, data } (data is null when the body is not JSON), or
 * { ok: false, status: 0, network: true, data: null } when the request fails.
 * Options: method, body, cache (e.g. "no-store"), timeoutMs (aborts a slow request).
 */
export async function api(path, { method = "GET", body, cache, timeoutMs } = {}) {
	const init = { method, credentials: "same-origin", headers: { accept: "application/json" } };
	if (cache) init.cache = cache;
	if (timeoutMs && typeof AbortSignal !== "undefined" && typeof AbortSignal.timeout === "function") {
		init.signal = AbortSignal.timeout(timeoutMs);
	}
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

// ---- URLs ------------------------------------------------------------------

/** A same-origin path such as "/dashboard" (not "//host" or "/\host"). */
export function isLocalPath(url) {
	return typeof url === "string" && url.startsWith("/") && !url.startsWith("//") && !url.startsWith("/\\");
}

/** An absolute http(s) URL or a same-origin path: safe to navigate to. */
export function isSafeUrl(url) {
	return typeof url === "string" && (/^https?:\/\//i.test(url) || isLocalPath(url));
}

export function link(href, text, { id, className } = {}) {
	const a = document.createElement("a");
	a.href = href;
	a.textContent = text;
	if (id) a.id = id;
	if (className) a.className = className;
	return a;
}

// ---- errors ----------------------------------------------------------------

/** Adds or removes `id` in the element's aria-describedby list. */
export function describedBy(el, id, on) {
	const ids = new Set((el.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean));
	if (on) ids.add(id);
	else ids.delete(id);
	if (ids.size) el.setAttribute("aria-describedby", [...ids].join(" "));
	else el.removeAttribute("aria-describedby");
}

/** Marks a control invalid (or valid) and links (or unlinks) its error message. */
export function setInvalid(el, errorId, invalid) {
	if (invalid) el.setAttribute("aria-invalid", "true");
	else el.removeAttribute("aria-invalid");
	describedBy(el, errorId, invalid);
}

/** Shows `message` in the element "<input.id>-error" under the input; "" clears it. */
export function setFieldError(input, message) {
	const errEl = $(`${input.id}-error`);
	errEl.textContent = message || "";
	errEl.hidden = !message;
	setInvalid(input, errEl.id, Boolean(message));
}

/** Shows a message (text, or an array of text and nodes) in an error box. */
export function showError(box, content) {
	if (Array.isArray(content)) box.replaceChildren(...content);
	else box.textContent = content;
	box.hidden = false;
}

export function clearError(box) {
	box.hidden = true;
	box.textContent = "";
}

// ---- buttons ---------------------------------------------------------------

const idleLabels = new WeakMap();

/**
 * Disables a button and marks it aria-busy, optionally with a busy label;
 * `setBusy(button, false)` re-enables it and puts its previous label back.
 */
export function setBusy(button, busy, busyLabel) {
	button.disabled = busy;
	if (busy) {
		button.setAttribute("aria-busy", "true");
		if (busyLabel) {
			if (!idleLabels.has(button)) idleLabels.set(button, button.textContent);
			button.textContent = busyLabel;
		}
	} else {
		button.removeAttribute("aria-busy");
		if (idleLabels.has(button)) {
			button.textContent = idleLabels.get(button);
			idleLabels.delete(button);
		}
	}
}
