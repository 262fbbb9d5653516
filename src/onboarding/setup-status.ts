// The onboarding read model, derived purely from stored rows. The status page
// and the ops routes show exactly this; nothing else decides what a customer sees.
import { type JobState, type ProvisioningState, provisioningState } from "../rules/job-states";
import { isPaid, isTerminalSubscription } from "../rules/subscription-status";

export { type ProvisioningState, provisioningState } from "../rules/job-states";
export type PaymentState = "unpaid" | "confirming" | "paid";
export type PasswordState = "not_sent" | "set";
export type NextAction = "pay" | "wait_provisioning" | "set_password" | "go_to_dashboard";

export interface SetupStatusInput {
	checkoutStatus: string;
	paymentStatus: string;
	subscriptionStatus: string | null;
	returnedAt: number | null;
	/** Stripe said the session is still open at this time. */
	checkoutOpenAt: number | null;
	jobState: JobState | null;
	passwordSetAt: number | null;
}

export interface SetupStatus {
	payment_state: PaymentState;
	provisioning_state: ProvisioningState;
	password_state: PasswordState;
	next_action: NextAction;
}

export function paymentState(input: Omit<SetupStatusInput, "passwordSetAt">): PaymentState {
	if (isPaid(input)) return "paid";
	if (input.paymentStatus === "failed" || input.checkoutStatus === "expired") return "unpaid";
	// An unpaid subscription has lapsed too: the customer has to pay again.
	if (isTerminalSubscription(input.subscriptionStatus) || input.subscriptionStatus === "unpaid") return "unpaid";
	// Back from Checkout (or Stripe told us it completed) but no confirmation stored yet.
	// Stripe saying the session is still open after that means they never finished it.
	const leftCheckout =
		input.returnedAt !== null && (input.checkoutOpenAt === null || input.checkoutOpenAt < input.returnedAt);
	const cameBack = leftCheckout || input.checkoutStatus === "complete" || input.jobState !== null;
	return cameBack ? "confirming" : "unpaid";
}

export function deriveSetupStatus(input: SetupStatusInput): SetupStatus {
	const payment_state = paymentState(input);
	const provisioning_state = provisioningState(input.jobState);
	const password_state: PasswordState = input.passwordSetAt !== null ? "set" : "not_sent";
	let next_action: NextAction;
	if (password_state === "set") next_action = "go_to_dashboard";
	else if (provisioning_state === "completed") next_action = "set_password";
	else if (payment_state === "unpaid" && provisioning_state === "not_started") next_action = "pay";
	else next_action = "wait_provisioning";
	return { payment_state, provisioning_state, password_state, next_action };
}

/** Settled: nothing the status route could learn from Stripe would change the page. */
export function isSettled(status: SetupStatus): boolean {
	return status.payment_state === "paid" || status.provisioning_state !== "not_started";
}
