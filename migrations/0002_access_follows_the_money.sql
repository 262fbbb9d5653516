CREATE TABLE `disputes` (
	`id` text PRIMARY KEY NOT NULL,
	`client_id` text NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `disputes_client_idx` ON `disputes` (`client_id`);--> statement-breakpoint
DROP INDEX `clients_subscription_idx`;--> statement-breakpoint
ALTER TABLE `clients` ADD `mode` text DEFAULT 'subscription' NOT NULL;--> statement-breakpoint
ALTER TABLE `clients` ADD `payment_intent_id` text;--> statement-breakpoint
ALTER TABLE `clients` ADD `current_period_end` integer;--> statement-breakpoint
ALTER TABLE `clients` ADD `past_due_since` integer;--> statement-breakpoint
ALTER TABLE `clients` ADD `open_invoice_url` text;--> statement-breakpoint
ALTER TABLE `clients` ADD `action_required_at` integer;--> statement-breakpoint
ALTER TABLE `clients` ADD `refunded_at` integer;--> statement-breakpoint
ALTER TABLE `clients` ADD `dispute_state` text;--> statement-breakpoint
CREATE INDEX `clients_payment_intent_idx` ON `clients` (`payment_intent_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `clients_subscription_idx` ON `clients` (`subscription_id`);--> statement-breakpoint
ALTER TABLE `users` ADD `stripe_customer_id` text;--> statement-breakpoint
-- Data: a login keeps the Stripe customer of its first purchase.
UPDATE `users` SET `stripe_customer_id` = (SELECT `stripe_customer_id` FROM `clients` WHERE `clients`.`user_id` = `users`.`id` AND `clients`.`stripe_customer_id` IS NOT NULL ORDER BY `clients`.`created_at` LIMIT 1) WHERE `stripe_customer_id` IS NULL;--> statement-breakpoint
-- A renewal already failing starts its grace clock at that failure.
UPDATE `clients` SET `past_due_since` = `invoice_event_at` * 1000 WHERE `invoice_status` = 'payment_failed';
