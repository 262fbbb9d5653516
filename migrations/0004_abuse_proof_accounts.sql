CREATE TABLE `link_sends` (
	`request_id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `link_sends_user_created_idx` ON `link_sends` (`user_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `password_tokens` ADD `sent_at` integer;--> statement-breakpoint
-- Links made before sent_at existed were listed as sent when made: keep them so.
UPDATE `password_tokens` SET `sent_at` = `created_at` WHERE `sent_at` IS NULL;
