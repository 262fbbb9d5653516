// The launch's two pictures as hand-built SVG: a histogram of time to ready
// with its percentiles, and customers in flight by state over time above the
// cumulative arrivals and completions (where a throttled run's drain shows).
import type { Burst } from "./arrivals.ts";
import type { InFlightSeries } from "./timelines.ts";

const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';
const INK = "#222";
const GRID = "#e4e4e4";

function esc(s: string): string {
	return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function text(x: number, y: number, s: string, attrs = ""): string {
	return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`;
}

/** A round step (1, 2 or 5 × 10^k) giving about `count` intervals over `span`. */
export function niceStep(span: number, count: number): number {
	const raw = span / Math.max(1, count);
	const pow = 10 ** Math.floor(Math.log10(raw || 1));
	return ([1, 2, 5, 10].find((m) => m * pow >= raw) ?? 10) * pow;
}

function ticks(max: number, count: number): number[] {
	const step = niceStep(max, count);
	const out: number[] = [];
	for (let v = 0; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
	return out;
}

interface Frame {
	x: number;
	y: number;
	w: number;
	h: number;
	xMax: number;
	yMax: number;
}

const sx = (f: Frame, v: number) => f.x + (v / f.xMax) * f.w;
const sy = (f: Frame, v: number) => f.y + f.h - (v / f.yMax) * f.h;

/** Grid, tick labels and axis titles of one panel. */
function axes(f: Frame, xLabel: string | null, yLabel: string, xFormat = (v: number) => String(v)): string {
	const parts: string[] = [];
	for (const v of ticks(f.yMax, 5)) {
		const y = sy(f, v);
		parts.push(`<line x1="${f.x}" x2="${f.x + f.w}" y1="${y}" y2="${y}" stroke="${GRID}"/>`);
		parts.push(text(f.x - 6, y + 4, String(v), `text-anchor="end" font-size="11" fill="${INK}"`));
	}
	for (const v of ticks(f.xMax, 10)) {
		const x = sx(f, v);
		parts.push(`<line x1="${x}" x2="${x}" y1="${f.y + f.h}" y2="${f.y + f.h + 4}" stroke="${INK}"/>`);
		if (xLabel !== null)
			parts.push(text(x, f.y + f.h + 17, xFormat(v), `text-anchor="middle" font-size="11" fill="${INK}"`));
	}
	parts.push(`<line x1="${f.x}" x2="${f.x + f.w}" y1="${f.y + f.h}" y2="${f.y + f.h}" stroke="${INK}"/>`);
	parts.push(`<line x1="${f.x}" x2="${f.x}" y1="${f.y}" y2="${f.y + f.h}" stroke="${INK}"/>`);
	if (xLabel)
		parts.push(text(f.x + f.w / 2, f.y + f.h + 34, xLabel, `text-anchor="middle" font-size="12" fill="${INK}"`));
	const my = f.y + f.h / 2;
	parts.push(
		text(
			f.x - 44,
			my,
			yLabel,
			`text-anchor="middle" font-size="12" fill="${INK}" transform="rotate(-90 ${f.x - 44} ${my})"`,
		),
	);
	return parts.join("\n");
}

/** The picture, its title first so screen readers and image viewers name it. */
function svg(width: number, height: number, title: string, body: string[]): string {
	return [
		`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
		`<title>${esc(title)}</title>`,
		`<rect width="${width}" height="${height}" fill="#fff"/>`,
		...body,
		"</svg>",
		"",
	].join("\n");
}

/** Histogram of time to ready (ms), in seconds, with p50/p95/p99 marked. */
export function readyHistogram(valuesMs: number[], title: string, notes: string[], marks: [string, number][]): string {
	const W = 760;
	const H = 52 + 18 * notes.length + 250 + 50;
	const maxS = Math.max(0.1, ...valuesMs.map((v) => v / 1000));
	const bin = niceStep(maxS, 40);
	const bins = new Array<number>(Math.floor(maxS / bin) + 1).fill(0);
	for (const v of valuesMs) {
		const i = Math.floor(v / 1000 / bin);
		bins[i] = (bins[i] ?? 0) + 1;
	}
	const f: Frame = { x: 70, y: 52 + 18 * notes.length, w: W - 100, h: 250, xMax: bins.length * bin, yMax: 0 };
	f.yMax = niceStep(Math.max(...bins), 5) * Math.ceil(Math.max(...bins) / niceStep(Math.max(...bins), 5));
	const body = [
		text(20, 28, title, `font-size="16" font-weight="bold" fill="${INK}"`),
		...notes.map((note, i) => text(20, 48 + 18 * i, note, `font-size="12" fill="#555"`)),
		axes(f, "seconds from the first webhook attempt to portal ready", "customers", (v) => String(v)),
	];
	bins.forEach((n, i) => {
		if (n === 0) return;
		const x0 = sx(f, i * bin);
		const x1 = sx(f, (i + 1) * bin);
		body.push(
			`<rect x="${x0 + 0.5}" y="${sy(f, n)}" width="${Math.max(1, x1 - x0 - 1)}" height="${f.y + f.h - sy(f, n)}" fill="#4a7fb5"/>`,
		);
	});
	marks.forEach(([label, ms], i) => {
		const x = sx(f, ms / 1000);
		body.push(`<line x1="${x}" x2="${x}" y1="${f.y - 4}" y2="${f.y + f.h}" stroke="#c0392b" stroke-dasharray="4 3"/>`);
		// Staggered so marks close together stay readable; on the right half, left of the line.
		const right = x > f.x + f.w / 2;
		body.push(
			text(
				right ? x - 4 : x + 4,
				f.y + 12 + i * 15,
				`${label} ${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`,
				`font-size="12" fill="#c0392b" text-anchor="${right ? "end" : "start"}" paint-order="stroke" stroke="#fff" stroke-width="3"`,
			),
		);
	});
	return svg(W, H, title, body);
}

const LINES: [keyof InFlightSeries, string, string][] = [
	["checkingOut", "checking out (POST /api/checkout)", "#e67e22"],
	["atStripe", "paying on Stripe's page (the customer, not us)", "#b8c2c4"],
	["confirming", "paid, waiting for the webhook (confirming)", "#c0392b"],
	["provisioning", "paid, queued or provisioning", "#2e6da4"],
];

function polyline(f: Frame, t: number[], v: number[], color: string, extra = ""): string {
	const pts = t.map((x, i) => `${sx(f, x).toFixed(1)},${sy(f, v[i] as number).toFixed(1)}`).join(" ");
	return `<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="1.8" ${extra}/>`;
}

/**
 * Top: customers in each in-flight state. Bottom: arrived and completed so far,
 * with the mail rate's slope drawn from the first completion when `mailRate` is given.
 */
export function inFlightChart(
	s: InFlightSeries,
	title: string,
	note: string,
	bursts: Burst[],
	mailRate?: number,
): string {
	const W = 900;
	const H = 600;
	const xMax = niceStep(s.t.at(-1) ?? 1, 10) * Math.ceil((s.t.at(-1) ?? 1) / niceStep(s.t.at(-1) ?? 1, 10));
	const peak = Math.max(1, ...LINES.flatMap(([k]) => s[k] as number[]));
	const top: Frame = {
		x: 70,
		y: 110,
		w: W - 100,
		h: 220,
		xMax,
		yMax: niceStep(peak, 5) * Math.ceil(peak / niceStep(peak, 5)),
	};
	const total = Math.max(1, s.arrived.at(-1) ?? 1);
	const bottom: Frame = {
		x: 70,
		y: 380,
		w: W - 100,
		h: 160,
		xMax,
		yMax: niceStep(total, 4) * Math.ceil(total / niceStep(total, 4)),
	};
	const body = [
		text(20, 28, title, `font-size="16" font-weight="bold" fill="${INK}"`),
		text(20, 48, note, `font-size="12" fill="#555"`),
	];
	for (const b of bursts) {
		for (const f of [top, bottom]) {
			body.push(
				`<rect x="${sx(f, b.at)}" y="${f.y}" width="${sx(f, b.at + b.seconds) - sx(f, b.at)}" height="${f.h}" fill="#f6e7c8"/>`,
			);
		}
		body.push(
			text(sx(top, b.at + b.seconds / 2), top.y - 4, "burst", `text-anchor="middle" font-size="10" fill="#a07a30"`),
		);
	}
	body.push(
		axes(top, null, "customers in flight"),
		axes(bottom, "seconds since the launch started", "customers (cumulative)"),
	);
	LINES.forEach(([key, label, color], i) => {
		body.push(polyline(top, s.t, s[key] as number[], color, key === "atStripe" ? 'stroke-dasharray="3 2"' : ""));
		const lx = 70 + (i % 2) * 400;
		const ly = 66 + Math.floor(i / 2) * 18;
		const dash = key === "atStripe" ? 'stroke-dasharray="3 2"' : "";
		body.push(
			`<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="3" ${dash}/>`,
		);
		body.push(text(lx + 28, ly, label, `font-size="12" fill="${INK}"`));
	});
	body.push(polyline(bottom, s.t, s.arrived, "#7f8c8d"), polyline(bottom, s.t, s.completed, "#27ae60"));
	const legend: [string, string, string][] = [
		["arrived", "#7f8c8d", ""],
		["completed", "#27ae60", ""],
	];
	// The mail rate's slope from the moment the backlog peaked, so the drain's pace compares at a glance.
	const peakAt = s.provisioning.indexOf(Math.max(...s.provisioning));
	if (mailRate && peakAt >= 0 && (s.provisioning[peakAt] ?? 0) > 0) {
		const t0 = s.t[peakAt] as number;
		const c0 = s.completed[peakAt] as number;
		const t1 = Math.min(xMax, t0 + (total - c0) / mailRate);
		body.push(
			`<line x1="${sx(bottom, t0)}" y1="${sy(bottom, c0)}" x2="${sx(bottom, t1)}" y2="${sy(bottom, c0 + (t1 - t0) * mailRate)}" stroke="#1e8449" stroke-dasharray="6 4" stroke-width="1.4"/>`,
		);
		legend.push([`the mail rate, ${mailRate}/s, from the largest backlog`, "#1e8449", 'stroke-dasharray="6 4"']);
	}
	legend.forEach(([label, color, dash], i) => {
		const lx = bottom.x + 12;
		const ly = bottom.y + 16 + i * 16;
		body.push(
			`<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2.5" ${dash}/>`,
		);
		body.push(text(lx + 28, ly, label, `font-size="12" fill="${INK}"`));
	});
	return svg(W, H, title, body);
}
