CREATE TABLE `alerts` (
	`key` text PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`problem` text NOT NULL,
	`opened_at` integer NOT NULL,
	`last_sent_at` integer NOT NULL,
	`last_message` text NOT NULL,
	`resolved_at` integer
);
--> statement-breakpoint
CREATE INDEX `alerts_state_idx` ON `alerts` (`state`);--> statement-breakpoint
CREATE INDEX `alerts_last_sent_idx` ON `alerts` (`last_sent_at`);