// Development outbox: GET /api/dev/outbox, newest first; refreshes while open.

import { $, api, setBusy, showError } from "./common.js";

const list = $("outbox-list");
const empty = $("outbox-empty");
const errorBox = $("outbox-error");
const statusEl = $("outbox-status");
const refreshBtn = $("refresh-outbox");

const AUTO_REFRESH_MS = 5000;
let lastKey = null;
let timer = 0;

function time(value) {
	const d = new Date(value);
	return Number.isNaN(d.getTime()) ? String(value || "") : d.toLocaleString();
}

function safeHttpUrl(value) {
	try {
		const u = new URL(String(value), location.origin);
		return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
	} catch {
		return null;
	}
}

function renderMessage(m) {
	const li = document.createElement("li");
	const article = document.createElement("article");
	article.className = "outbox-message";
	article.dataset.id = String(m.id ?? "");

	const h2 = document.createElement("h2");
	h2.className = "outbox-subject";
	h2.textContent = m.subject || "(no subject)";

	const meta = document.createElement("p");
	meta.className = "outbox-meta";
	meta.textContent = `To ${m.to || "—"} · ${time(m.created_at)}`;

	article.append(h2, meta);

	const links = Array.isArray(m.links) ? m.links.filter((l) => safeHttpUrl(l)) : [];
	if (links.length) {
		const ul = document.createElement("ul");
		ul.className = "outbox-links";
		for (const raw of links) {
			const item = document.createElement("li");
			const a = document.createElement("a");
			a.className = "outbox-link";
			a.href = safeHttpUrl(raw);
			a.textContent = String(raw);
			item.append(a);
			ul.append(item);
		}
		article.append(ul);
	}

	if (m.text) {
		const details = document.createElement("details");
		details.className = "outbox-body";
		const summary = document.createElement("summary");
		summary.textContent = "Show email text";
		const pre = document.createElement("pre");
		pre.className = "outbox-text";
		pre.textContent = String(m.text);
		details.append(summary, pre);
		article.append(details);
	}

	li.append(article);
	return li;
}

async function load({ manual = false } = {}) {
	if (manual) setBusy(refreshBtn, true);
	const res = await api("/api/dev/outbox", { cache: "no-store" });
	if (manual) setBusy(refreshBtn, false);

	if (!res.ok || !res.data || !Array.isArray(res.data.messages)) {
		showError(
			errorBox,
			res.network
				? "We couldn't reach the local worker. Is `npm run dev` running?"
				: res.status === 404
					? "The outbox is not available (it only exists in local development with the outbox mail transport)."
					: res.data?.message || "We couldn't load the outbox.",
		);
		statusEl.textContent = "";
		return;
	}
	errorBox.hidden = true;

	const messages = [...res.data.messages].sort((a, b) => {
		const ta = Date.parse(a.created_at) || 0;
		const tb = Date.parse(b.created_at) || 0;
		return tb - ta;
	});
	const key = messages.map((m) => m.id).join(",");
	const count = messages.length;
	const summary = `${count} message${count === 1 ? "" : "s"}`;
	if (statusEl.textContent !== summary) statusEl.textContent = summary; // live region: only real changes
	if (key === lastKey) return; // unchanged: keep open <details> and focus as they are
	lastKey = key;
	list.replaceChildren(...messages.map(renderMessage));
	empty.hidden = count > 0;
}

function schedule() {
	clearTimeout(timer);
	if (document.hidden) return;
	timer = setTimeout(async () => {
		await load();
		schedule();
	}, AUTO_REFRESH_MS);
}

refreshBtn.addEventListener("click", async () => {
	await load({ manual: true });
	schedule();
});

document.addEventListener("visibilitychange", async () => {
	if (document.hidden) {
		clearTimeout(timer);
	} else {
		await load();
		schedule();
	}
});

load().then(schedule);
