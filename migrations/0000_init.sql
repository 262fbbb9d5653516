CREATE TABLE `clients` (
	`id` text PRIMARY KEY NOT NULL,
	`crn` text NOT NULL,
	`email` text NOT NULL,
	`name` text NOT NULL,
	`plan_code` text NOT NULL,
	`onboarding_token_hash` text NOT NULL,
	`checkout_session_id` text,
	`checkout_status` text DEFAULT 'open' NOT NULL,
	`payment_status` text DEFAULT 'unpaid' NOT NULL,
	`paid_at` integer,
	`returned_at` integer,
	`checkout_open_at` integer,
	`stripe_customer_id` text,
	`subscription_id` text,
	`subscription_status` text,
	`subscription_event_at` integer,
	`invoice_status` text,
	`invoice_event_at` integer,
	`stripe_checked_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `clients_crn_unique` ON `clients` (`crn`);--> statement-breakpoint
CREATE UNIQUE INDEX `clients_onboarding_token_hash_unique` ON `clients` (`onboarding_token_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `clients_checkout_session_id_unique` ON `clients` (`checkout_session_id`);--> statement-breakpoint
CREATE INDEX `clients_subscription_idx` ON `clients` (`subscription_id`);--> statement-breakpoint
CREATE INDEX `clients_created_idx` ON `clients` (`created_at`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`client_id` text NOT NULL,
	`state` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`checkout_session_id` text,
	`source` text NOT NULL,
	`requeues` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_client_id_unique` ON `jobs` (`client_id`);--> statement-breakpoint
CREATE INDEX `jobs_state_updated_idx` ON `jobs` (`state`,`updated_at`);--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`idempotency_key` text NOT NULL,
	`to_address` text NOT NULL,
	`subject` text NOT NULL,
	`text_body` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_idempotency_key_unique` ON `outbox` (`idempotency_key`);--> statement-breakpoint
CREATE TABLE `password_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `sessions` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`client_id` text NOT NULL,
	`email` text NOT NULL,
	`password_hash` text,
	`password_salt` text,
	`password_iterations` integer,
	`password_set_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_client_id_unique` ON `users` (`client_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);--> statement-breakpoint
CREATE TABLE `webhook_events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`livemode` integer NOT NULL,
	`event_created` integer NOT NULL,
	`client_id` text,
	`nonce` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `webhook_events_client_idx` ON `webhook_events` (`client_id`);--> statement-breakpoint
CREATE INDEX `webhook_events_received_idx` ON `webhook_events` (`received_at`);