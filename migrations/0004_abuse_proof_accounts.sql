CREATE TABLE `link_sends` (
	`request_id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `link_sends_user_created_idx` ON `link_sends` (`user_id`,`created_at`);