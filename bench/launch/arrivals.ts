// Launch day's arrival profile: a base rate plus a few bursts (a mailing goes
// out, a post is shared), seeded so every run sends the same customers at the
// same moments; and the per-second bar line the bench prints of it.

/** A small seeded PRNG (mulberry32): the same seed gives the same launch. */
export function seededRandom(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export interface Burst {
	/** Seconds after the launch starts. */
	at: number;
	seconds: number;
	customers: number;
}

export interface ArrivalProfile {
	customers: number;
	seconds: number;
	baseCustomers: number;
	bursts: Burst[];
	/** Arrival offsets in ms from the start, ascending; one per customer. */
	offsetsMs: number[];
	perSecond: number[];
}

/**
 * `customers` over `seconds`: 30 % of them in three bursts (at 20 %, 52 % and
 * 78 % of the window) of `burstSeconds` each, the rest uniformly at random over
 * the whole window (a Poisson process given its count). For 600 over 60 s with
 * 5 s bursts: a base of 7/s, bursts near 19/s on average, and single seconds
 * that reach Stripe's 25 requests/s in test mode.
 */
export function launchProfile(
	customers: number,
	seconds: number,
	burstSeconds: number,
	random: () => number,
): ArrivalProfile {
	const burstShare = 0.3;
	const starts = [0.2, 0.52, 0.78];
	const perBurst = Math.floor((customers * burstShare) / starts.length);
	const bursts = starts.map((f) => ({ at: Math.round(f * seconds), seconds: burstSeconds, customers: perBurst }));
	const baseCustomers = customers - perBurst * bursts.length;
	const offsets: number[] = [];
	for (let i = 0; i < baseCustomers; i++) offsets.push(random() * seconds * 1000);
	for (const b of bursts) {
		for (let i = 0; i < b.customers; i++) offsets.push((b.at + random() * b.seconds) * 1000);
	}
	offsets.sort((x, y) => x - y);
	const perSecond = new Array<number>(Math.ceil(seconds)).fill(0);
	for (const o of offsets) {
		const second = Math.min(perSecond.length - 1, Math.floor(o / 1000));
		perSecond[second] = (perSecond[second] ?? 0) + 1;
	}
	return { customers, seconds, baseCustomers, bursts, offsetsMs: offsets, perSecond };
}

const BARS = " ▁▂▃▄▅▆▇█";

/** One bar per second, scaled to the peak, with the figures a reader needs. */
export function describeProfile(p: ArrivalProfile): string {
	const peak = Math.max(...p.perSecond);
	const peakAt = p.perSecond.indexOf(peak);
	const bars = p.perSecond.map((n) => BARS[Math.round((n / peak) * (BARS.length - 1))]).join("");
	const bursts = p.bursts.map((b) => `${b.customers} at ${b.at}–${b.at + b.seconds} s`).join(", ");
	return [
		`arrivals: ${p.customers} customers over ${p.seconds} s; ${p.baseCustomers} spread at random ` +
			`(~${(p.baseCustomers / p.seconds).toFixed(1)}/s) plus bursts of ${bursts}`,
		`per second |${bars}| peak ${peak}/s at ${peakAt}–${peakAt + 1} s, quietest ${Math.min(...p.perSecond)}/s`,
	].join("\n");
}
