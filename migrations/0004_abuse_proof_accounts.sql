CREATE TABLE `link_sends` (
	`request_id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `link_sends_user_created_idx` ON `link_sends` (`user_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `clients` ADD `added_to_login_at` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `generation` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `password_tokens` ADD `sent_at` integer;--> statement-breakpoint
-- Links made before sent_at existed were listed as sent when made: keep them so.
UPDATE `password_tokens` SET `sent_at` = `created_at` WHERE `sent_at` IS NULL;
--> statement-breakpoint
-- Plans that joined a login whose password was already set when they were paid for.
UPDATE `clients` SET `added_to_login_at` = `updated_at`
WHERE `user_id` IS NOT NULL
  AND `id` != (SELECT `client_id` FROM `users` WHERE `users`.`id` = `clients`.`user_id`)
  AND (SELECT `password_set_at` FROM `users` WHERE `users`.`id` = `clients`.`user_id`) <= coalesce(`paid_at`, `created_at`);
