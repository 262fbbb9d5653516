// The benches' pure parts: statistics, arrivals, delivery plans, the page's poll
// schedule, timelines, chart steps and a launch run's figures and checks.
import { describe, expect, it } from "vitest";
import { clientIp } from "../../bench/common/addresses.ts";
import type { CpuSample } from "../../bench/common/procs.ts";
import type { Exchange } from "../../bench/common/stand-ins.ts";
import { median, percentile } from "../../bench/common/stats.ts";
import { launchProfile, seededRandom } from "../../bench/launch/arrivals.ts";
import { type Journey, pollIntervalMs } from "../../bench/launch/customers.ts";
import { launchFigures, type RunSettings } from "../../bench/launch/figures.ts";
import type { LaunchRun } from "../../bench/launch/run.ts";
import { niceStep } from "../../bench/launch/svg.ts";
import { inFlight, readyTimes, type Timeline, timelines } from "../../bench/launch/timelines.ts";
import { planDelivery } from "../../bench/launch/webhooks.ts";

describe("statistics", () => {
	it("takes the nearest-rank percentile of sorted samples", () => {
		const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
		expect(percentile(sorted, 50)).toBe(50);
		expect(percentile(sorted, 95)).toBe(95);
		expect(percentile(sorted, 99)).toBe(99);
		expect(percentile([7], 99)).toBe(7);
		expect(percentile([], 50)).toBeNaN();
	});

	it("takes the median of unsorted samples, averaging the middle pair", () => {
		expect(median([5, 1, 3])).toBe(3);
		expect(median([4, 1, 3, 2])).toBe(2.5);
		expect(median([])).toBeNaN();
	});
});

describe("arrivals", () => {
	it("gives the same launch for the same seed and another for another", () => {
		const a = launchProfile(600, 60, 5, seededRandom(1));
		expect(launchProfile(600, 60, 5, seededRandom(1)).offsetsMs).toEqual(a.offsetsMs);
		expect(launchProfile(600, 60, 5, seededRandom(2)).offsetsMs).not.toEqual(a.offsetsMs);
	});

	it("sends every customer once, in order, within the window, 30 % of them in three bursts", () => {
		const p = launchProfile(600, 60, 5, seededRandom(20261201));
		expect(p.offsetsMs).toHaveLength(600);
		expect([...p.offsetsMs].sort((x, y) => x - y)).toEqual(p.offsetsMs);
		expect(Math.max(...p.offsetsMs)).toBeLessThan(60_000);
		expect(p.perSecond.reduce((n, x) => n + x, 0)).toBe(600);
		expect(p.bursts.map((b) => [b.at, b.customers])).toEqual([
			[12, 60],
			[31, 60],
			[47, 60],
		]);
		expect(p.baseCustomers).toBe(420);
	});
});

describe("customers", () => {
	it("gives each customer a /64 of its own", () => {
		expect(clientIp(0)).toBe("2001:db8:0:1::1");
		expect(clientIp(65_535)).toBe("2001:db8:1:0::1");
		expect(new Set(Array.from({ length: 1000 }, (_, i) => clientIp(i))).size).toBe(1000);
	});

	it("polls on the onboarding page's schedule", () => {
		expect([0, 9_999, 10_000, 29_999, 30_000, 170_000].map(pollIntervalMs)).toEqual([
			1000, 1000, 2000, 2000, 5000, 5000,
		]);
	});

	it("duplicates, delays and reorders about as often as the plan says", () => {
		const random = seededRandom(7);
		const plans = Array.from({ length: 10_000 }, () => planDelivery(random));
		const share = (f: (p: (typeof plans)[number]) => boolean) => plans.filter(f).length / plans.length;
		expect(share((p) => p.duplicate)).toBeCloseTo(0.05, 1);
		expect(share((p) => p.lateMs > 0)).toBeCloseTo(0.03, 1);
		expect(share((p) => p.subscriptionFirst)).toBeCloseTo(0.04, 1);
		expect(plans.every((p) => p.lateMs === 0 || (p.lateMs >= 2000 && p.lateMs <= 6000))).toBe(true);
	});
});

describe("charts", () => {
	it("steps axes by 1, 2 or 5 times a power of ten", () => {
		expect(niceStep(10, 5)).toBe(2);
		expect(niceStep(73, 5)).toBe(20);
		expect(niceStep(0.9, 4)).toBe(0.5);
		expect(niceStep(0, 5)).toBe(1);
	});
});

const T0 = 1_800_000_000_000;

function journey(index: number, paidAt: number, firstAttemptAt: number, outcome: Journey["outcome"]): Journey {
	return {
		index,
		email: `c${index}@example.com`,
		plan: { duplicate: false, lateMs: 0, subscriptionFirst: false },
		arrivedAt: T0 + index,
		checkoutAt: T0 + index + 50,
		clientId: `client-${index}`,
		sessionId: `cs_test_${index}`,
		paidAt,
		completedSeenAt: paidAt + 900,
		polls: 2,
		deliveries: [
			{
				type: "checkout.session.completed",
				eventId: `evt_${index}`,
				attempts: [{ at: firstAttemptAt, status: 200, ms: 20 }],
				acceptedAt: firstAttemptAt,
			},
		],
		outcome,
	};
}

describe("timelines", () => {
	it("measures ready from Stripe's first attempt, and 0 when the page's own check got there first", () => {
		const line: Timeline[] = [
			{ arrivedAt: T0, paidAt: T0 + 1000, firstAttemptAt: T0 + 1100, completedAt: T0 + 1300 },
			{ arrivedAt: T0, paidAt: T0 + 1000, firstAttemptAt: T0 + 5000, completedAt: T0 + 4000 },
			{ arrivedAt: T0, paidAt: T0 + 1000 },
		];
		expect(readyTimes(line)).toEqual({ fromWebhook: [200, 0], fromPayment: [300, 3000] });
	});

	it("joins each journey to its job and counts customers per state over time", () => {
		const journeys = [journey(0, T0 + 1000, T0 + 1000, "completed")];
		const line = timelines(journeys, [
			{ clientId: "client-0", state: "WELCOME_EMAIL_SENT", attempts: 1, createdAt: T0 + 1020, completedAt: T0 + 1500 },
		]);
		expect(line[0]).toMatchObject({ firstAttemptAt: T0 + 1000, jobCreatedAt: T0 + 1020, completedAt: T0 + 1500 });
		const s = inFlight(line, T0, 250);
		expect(s.t.slice(0, 7)).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25, 1.5]);
		expect(s.atStripe[2]).toBe(1);
		expect(s.confirming[4]).toBe(1);
		expect(s.provisioning[5]).toBe(1);
		expect([s.completed[5], s.completed[6]]).toEqual([0, 1]);
	});
});

describe("launch figures", () => {
	const cpu = (workerdMs: number): CpuSample => ({ workerdMs, wranglerMs: 0, workerdPids: [1] });
	const settings: RunSettings = {
		name: "unthrottled",
		mailRate: 1000,
		productMailRate: 1000,
		stripeRate: 25,
		kind: "unthrottled",
	};
	const exchange = (at: number, service: Exchange["service"], status: number, path: string): Exchange => ({
		at,
		service,
		key: "k",
		method: path === "/v1/checkout/sessions" ? "POST" : "GET",
		path,
		status,
	});

	function run(outcomes: Journey["outcome"][], exchanges: Exchange[]): LaunchRun {
		const journeys = outcomes.map((o, i) => journey(i, T0 + 1000, T0 + 1000, o));
		return {
			startedAt: T0,
			endedAt: T0 + 10_000,
			journeys,
			answers: new Map([["POST /api/webhook/stripe", new Map([[200, outcomes.length]])]]),
			exchanges,
			jobs: journeys.map((j, i) => ({
				clientId: j.clientId ?? "",
				state: "WELCOME_EMAIL_SENT",
				attempts: 1,
				createdAt: T0 + 1010,
				completedAt: T0 + 1100 + i * 100,
			})),
			cpu: { before: cpu(100), after: cpu(300), idleMsPerSecond: 1 },
		};
	}

	it("counts outcomes, provider calls per customer, time to ready and CPU, and passes a clean run", () => {
		const f = launchFigures(
			settings,
			run(
				["completed", "completed"],
				[
					exchange(T0 + 60, "stripe", 200, "/v1/checkout/sessions"),
					exchange(T0 + 61, "stripe", 200, "/v1/checkout/sessions"),
					exchange(T0 + 1050, "mail", 200, "/resend/emails"),
					exchange(T0 + 1150, "mail", 200, "/resend/emails"),
				],
			),
		);
		expect(f).toMatchObject({ customers: 2, completed: 2, failed: 0, lost: 0, fiveXx: 0 });
		expect(f.stripe.perCustomer).toBe(1);
		expect(f.mail.perCustomer).toBe(1);
		expect(f.timeToReadyMs).toMatchObject({ n: 2, p50: 100, p99: 200 });
		expect(f.cpu.perCustomerMs).toBe(100);
		expect(f.checks.every((c) => c.pass)).toBe(true);
	});

	it("fails the checks for a lost customer and for a Stripe read after the webhook was accepted", () => {
		const f = launchFigures(
			settings,
			run(["completed", "lost"], [exchange(T0 + 2000, "stripe", 200, "/v1/checkout/sessions/cs_test_0")]),
		);
		const failed = f.checks.filter((c) => !c.pass).map((c) => c.name);
		expect(failed).toContain("customers completed / failed / lost");
		expect(failed).toContain("status-route Stripe reads after the customer's webhook was accepted");
	});
});
