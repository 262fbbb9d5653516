import { describe, expect, it } from "vitest";
import {
	deriveSetupStatus,
	isSettled,
	paymentState,
	provisioningState,
	type SetupStatusInput,
} from "../src/onboarding/setup-status";
import { JOB_STATES, type JobState } from "../src/rules/job-states";

const CHECKOUT = ["open", "complete", "expired"];
const PAYMENT = ["unpaid", "paid", "no_payment_required", "failed"];
const SUBSCRIPTION = [null, "incomplete", "active", "trialing", "past_due", "canceled", "unpaid", "incomplete_expired"];
const RETURNED = [null, 1_700_000_000_000];
// Stripe said "still open": never, before the customer came back, after.
const OPEN = [null, 1_699_999_999_000, 1_700_000_004_000];
const JOB: (JobState | null)[] = [null, ...JOB_STATES];
const PASSWORD = [null, 1_700_000_100_000];

function* everyInput(): Generator<SetupStatusInput> {
	for (const checkoutStatus of CHECKOUT)
		for (const paymentStatus of PAYMENT)
			for (const subscriptionStatus of SUBSCRIPTION)
				for (const returnedAt of RETURNED)
					for (const checkoutOpenAt of OPEN)
						for (const jobState of JOB)
							for (const passwordSetAt of PASSWORD)
								yield {
									checkoutStatus,
									paymentStatus,
									subscriptionStatus,
									returnedAt,
									checkoutOpenAt,
									jobState,
									passwordSetAt,
								};
}

/** The rules, stated independently of the implementation's structure. */
function expected(i: SetupStatusInput) {
	const paying = i.subscriptionStatus === "active" || i.subscriptionStatus === "trialing";
	const paidCheckout = i.paymentStatus === "paid" || i.paymentStatus === "no_payment_required";
	const lapsed = ["canceled", "unpaid", "incomplete_expired"].includes(i.subscriptionStatus ?? "");
	let payment: string;
	if (paying || (i.subscriptionStatus === null && paidCheckout)) payment = "paid";
	else if (i.paymentStatus === "failed" || i.checkoutStatus === "expired" || lapsed) payment = "unpaid";
	else if (
		(i.returnedAt !== null && !(i.checkoutOpenAt !== null && i.checkoutOpenAt >= i.returnedAt)) ||
		i.checkoutStatus === "complete" ||
		i.jobState !== null
	)
		payment = "confirming";
	else payment = "unpaid";
	const names: Record<string, string> = {
		PAYMENT_CONFIRMED: "queued",
		PROVISIONING_STARTED: "running",
		WELCOME_EMAIL_SENT: "completed",
		FAILED: "failed",
	};
	const provisioning = names[i.jobState ?? ""] ?? "not_started";
	const password = i.passwordSetAt !== null ? "set" : "not_sent";
	const next =
		password === "set"
			? "go_to_dashboard"
			: provisioning === "completed"
				? "set_password"
				: payment === "unpaid" && provisioning === "not_started"
					? "pay"
					: "wait_provisioning";
	return { payment_state: payment, provisioning_state: provisioning, password_state: password, next_action: next };
}

describe("setup-status derivation", () => {
	it("matches the rules over every combination of stored values", () => {
		let count = 0;
		for (const input of everyInput()) {
			expect(deriveSetupStatus(input), JSON.stringify(input)).toEqual(expected(input));
			count++;
		}
		expect(count).toBe(3 * 4 * 8 * 2 * 3 * 5 * 2);
	});

	it("only ever yields the values the contract names", () => {
		const seen = {
			payment_state: new Set(),
			provisioning_state: new Set(),
			password_state: new Set(),
			next_action: new Set(),
		};
		for (const input of everyInput()) {
			const s = deriveSetupStatus(input);
			for (const key of Object.keys(seen) as Array<keyof typeof seen>) seen[key].add(s[key]);
		}
		expect([...seen.payment_state].sort()).toEqual(["confirming", "paid", "unpaid"]);
		expect([...seen.provisioning_state].sort()).toEqual(["completed", "failed", "not_started", "queued", "running"]);
		expect([...seen.password_state].sort()).toEqual(["not_sent", "set"]);
		expect([...seen.next_action].sort()).toEqual(["go_to_dashboard", "pay", "set_password", "wait_provisioning"]);
	});

	it("says confirming only after the customer came back or Stripe reported completion", () => {
		const base = {
			checkoutStatus: "open",
			paymentStatus: "unpaid",
			subscriptionStatus: null,
			checkoutOpenAt: null,
			jobState: null,
		};
		expect(paymentState({ ...base, returnedAt: null })).toBe("unpaid");
		expect(paymentState({ ...base, returnedAt: 1 })).toBe("confirming");
		expect(paymentState({ ...base, checkoutStatus: "complete", returnedAt: null })).toBe("confirming");
		expect(paymentState({ ...base, checkoutStatus: "expired", returnedAt: 1 })).toBe("unpaid");
		expect(paymentState({ ...base, returnedAt: 1, checkoutOpenAt: 5 })).toBe("unpaid");
	});

	it("requires an active or trialing subscription once one is known", () => {
		const base = {
			checkoutStatus: "complete",
			paymentStatus: "paid",
			returnedAt: 1,
			checkoutOpenAt: null,
			jobState: null,
		};
		expect(paymentState({ ...base, subscriptionStatus: "active" })).toBe("paid");
		expect(paymentState({ ...base, subscriptionStatus: "trialing" })).toBe("paid");
		expect(paymentState({ ...base, subscriptionStatus: "incomplete" })).toBe("confirming");
		expect(paymentState({ ...base, subscriptionStatus: "canceled" })).toBe("unpaid");
	});

	it("maps job states to provisioning states", () => {
		expect(provisioningState("PAYMENT_CONFIRMED")).toBe("queued");
		expect(provisioningState("PROVISIONING_STARTED")).toBe("running");
		expect(provisioningState("WELCOME_EMAIL_SENT")).toBe("completed");
		expect(provisioningState("FAILED")).toBe("failed");
		expect(provisioningState(null)).toBe("not_started");
	});

	it("treats a paid or provisioning session as settled: no Stripe call needed", () => {
		const status = (over: Partial<SetupStatusInput>) =>
			deriveSetupStatus({
				checkoutStatus: "open",
				paymentStatus: "unpaid",
				subscriptionStatus: null,
				returnedAt: 1,
				checkoutOpenAt: null,
				jobState: null,
				passwordSetAt: null,
				...over,
			});
		expect(isSettled(status({}))).toBe(false);
		expect(isSettled(status({ paymentStatus: "paid" }))).toBe(true);
		expect(isSettled(status({ jobState: "FAILED" }))).toBe(true);
	});
});
