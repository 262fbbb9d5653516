// The onboarding read model, derived purely from stored rows. The status page
// and the ops routes show exactly this; nothing else decides what a customer sees.

export type PaymentState = "unpaid" | "confirming" | "paid";
export type ProvisioningState = "not_started" | "queued" | "running" | "completed" | "failed";
export type PasswordState = "not_sent" | "set";
export type NextAction = "pay" | "wait_provisioning" | "set_password" | "go_to_dashboard";

export interface SetupStatusInput {
	checkoutStatus: string;
	paymentStatus: string;
	subscriptionStatus: string | null;
	returnedAt: number | null;
	/** Stripe said the session is still open at this time. */
	checkoutOpenAt: number | null;
	jobState: string | null;
	passwordSetAt: number | null;
}

export interface SetupStatus {
	payment_state: PaymentState;
	provisioning_state: ProvisioningState;
	password_state: PasswordState;
	next_action: NextAction;
}

const PAYING_SUBSCRIPTION = new Set(["active", "trialing"]);
const LAPSED_SUBSCRIPTION = new Set(["canceled", "unpaid", "incomplete_expired"]);
const PAID_CHECKOUT = new Set(["paid", "no_payment_required"]);

export function paymentState(input: Omit<SetupStatusInput, "passwordSetAt">): PaymentState {
	const sub = input.subscriptionStatus;
	if (sub !== null ? PAYING_SUBSCRIPTION.has(sub) : PAID_CHECKOUT.has(input.paymentStatus)) return "paid";
	if (input.paymentStatus === "failed" || input.checkoutStatus === "expired") return "unpaid";
	if (sub !== null && LAPSED_SUBSCRIPTION.has(sub)) return "unpaid";
	// Back from Checkout (or Stripe told us it completed) but no confirmation stored yet.
	// Stripe saying the session is still open after that means they never finished it.
	const leftCheckout =
		input.returnedAt !== null && (input.checkoutOpenAt === null || input.checkoutOpenAt < input.returnedAt);
	const cameBack = leftCheckout || input.checkoutStatus === "complete" || input.jobState !== null;
	return cameBack ? "confirming" : "unpaid";
}

export function provisioningState(jobState: string | null): ProvisioningState {
	switch (jobState) {
		case null:
			return "not_started";
		case "PAYMENT_CONFIRMED":
			return "queued";
		case "PROVISIONING_STARTED":
			return "running";
		case "WELCOME_EMAIL_SENT":
			return "completed";
		case "FAILED":
			return "failed";
		default:
			return "not_started";
	}
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
