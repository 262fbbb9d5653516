// The secrets the Worker sees in tests. Fake, test-mode shaped values; tests
// assert none of them ever appears in a response or a log line.
export const TEST_SECRETS = {
	STRIPE_SECRET_KEY: "sk_test_onboardingSuiteKey000000000000",
	STRIPE_WEBHOOK_SECRET_TEST: "whsec_suiteSecretPrimary0000000000000",
	STRIPE_WEBHOOK_SECRET_LIVE: "",
	STRIPE_WEBHOOK_SECRET: "",
	ADMIN_TOKEN: "admin-token-for-tests-0123456789abcdef",
	MAIL_API_KEY: "re_suiteMailKey0000000000",
} as const;
