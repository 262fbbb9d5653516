CREATE TABLE `cursors` (
	`name` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `rate_gates` (
	`name` text PRIMARY KEY NOT NULL,
	`next_at` integer NOT NULL
);
--> statement-breakpoint
DROP INDEX `users_client_id_unique`;--> statement-breakpoint
ALTER TABLE `users` ADD `link_requested_at` integer;--> statement-breakpoint
ALTER TABLE `clients` ADD `user_id` text REFERENCES users(id);--> statement-breakpoint
CREATE INDEX `clients_user_idx` ON `clients` (`user_id`);--> statement-breakpoint
CREATE INDEX `clients_email_idx` ON `clients` (`email`);--> statement-breakpoint
CREATE INDEX `clients_paid_idx` ON `clients` (`paid_at`);--> statement-breakpoint
ALTER TABLE `jobs` ADD `lease_until` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `not_before` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `queued_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `completed_at` integer;--> statement-breakpoint
CREATE INDEX `jobs_created_idx` ON `jobs` (`created_at`);--> statement-breakpoint
CREATE INDEX `jobs_completed_idx` ON `jobs` (`completed_at`);--> statement-breakpoint
ALTER TABLE `password_tokens` ADD `purpose` text DEFAULT 'welcome' NOT NULL;--> statement-breakpoint
CREATE INDEX `password_tokens_user_idx` ON `password_tokens` (`user_id`);--> statement-breakpoint
CREATE INDEX `password_tokens_expires_idx` ON `password_tokens` (`expires_at`);--> statement-breakpoint
ALTER TABLE `webhook_events` ADD `deliveries` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE INDEX `sessions_expires_idx` ON `sessions` (`expires_at`);--> statement-breakpoint
-- Data: every existing plan belongs to the login its purchase created.
UPDATE `clients` SET `user_id` = (SELECT `id` FROM `users` WHERE `users`.`client_id` = `clients`.`id`) WHERE `user_id` IS NULL;--> statement-breakpoint
UPDATE `jobs` SET `queued_at` = `created_at`;--> statement-breakpoint
UPDATE `jobs` SET `completed_at` = `updated_at` WHERE `state` = 'WELCOME_EMAIL_SENT';--> statement-breakpoint
-- Links now stay valid until a password is set with one of them; before this
-- change a set password alone made the others useless, so void those now.
UPDATE `password_tokens` SET `used_at` = (SELECT `password_set_at` FROM `users` WHERE `users`.`id` = `password_tokens`.`user_id`) WHERE `used_at` IS NULL AND `user_id` IN (SELECT `id` FROM `users` WHERE `password_set_at` IS NOT NULL);
