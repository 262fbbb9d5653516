CREATE TABLE `app_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`client_id` text NOT NULL,
	`crn` text NOT NULL,
	`payload` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_status` integer,
	`last_error` text,
	`next_attempt_at` integer,
	`delivered_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `app_deliveries_status_next_idx` ON `app_deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `app_deliveries_created_idx` ON `app_deliveries` (`created_at`);--> statement-breakpoint
ALTER TABLE `clients` ADD `access_dirty_at` integer;--> statement-breakpoint
ALTER TABLE `clients` ADD `announced_access` text;--> statement-breakpoint
ALTER TABLE `clients` ADD `announced_reason` text;--> statement-breakpoint
ALTER TABLE `clients` ADD `announced_plan_code` text;--> statement-breakpoint
CREATE INDEX `clients_access_dirty_idx` ON `clients` (`access_dirty_at`);