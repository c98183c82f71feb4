-- Issue 5: media events, the bad-block ledger, DIMM health samples, webhook subscriptions and their delivery outbox,
-- fleet scrub jobs. Generated with prisma migrate diff --script; the partial unique index at the end is added by
-- hand (Prisma's schema language cannot express it): at most one OPEN ledger row per host and range.
-- CreateTable
CREATE TABLE "media_events" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "host_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "detected_at" DATETIME NOT NULL,
    "received_at" DATETIME NOT NULL,
    "detected_by" TEXT NOT NULL,
    "dimm" TEXT,
    "ledger_id" INTEGER,
    "payload" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "bad_blocks" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "host_id" TEXT NOT NULL,
    "region" TEXT NOT NULL,
    "region_offset" INTEGER NOT NULL,
    "length" INTEGER NOT NULL,
    "range" TEXT NOT NULL,
    "dimms" TEXT NOT NULL,
    "first_seen" DATETIME NOT NULL,
    "last_seen" DATETIME NOT NULL,
    "cleared_at" DATETIME,
    "found_by" TEXT NOT NULL,
    "cleared_by" TEXT,
    "new_event_id" TEXT NOT NULL,
    "cleared_event_id" TEXT
);

-- CreateTable
CREATE TABLE "health_samples" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "host_id" TEXT NOT NULL,
    "dimm" TEXT NOT NULL,
    "dimm_id" TEXT,
    "sampled_at" DATETIME NOT NULL,
    "values" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "webhook_subscriptions" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "event_types" TEXT NOT NULL,
    "host_ids" TEXT NOT NULL,
    "secret" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "max_age_seconds" INTEGER NOT NULL,
    "created_at" DATETIME NOT NULL,
    "created_by" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "webhook_deliveries" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "subscription_id" TEXT NOT NULL,
    "event_id" TEXT,
    "event_type" TEXT NOT NULL,
    "host_id" TEXT,
    "body" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "created_at" DATETIME NOT NULL,
    "next_attempt_at" DATETIME,
    "delivered_at" DATETIME,
    "last_status_code" INTEGER,
    "last_error" TEXT,
    CONSTRAINT "webhook_deliveries_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "webhook_subscriptions" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "webhook_attempts" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "delivery_id" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "status_code" INTEGER,
    "error" TEXT,
    "latency_ms" REAL NOT NULL,
    CONSTRAINT "webhook_attempts_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "webhook_deliveries" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "scrub_jobs" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "created_at" DATETIME NOT NULL,
    "created_by" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "hosts" TEXT NOT NULL,
    "updated_at" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "media_events_host_id_received_at_idx" ON "media_events"("host_id", "received_at");

-- CreateIndex
CREATE INDEX "media_events_received_at_idx" ON "media_events"("received_at");

-- CreateIndex
CREATE INDEX "media_events_type_idx" ON "media_events"("type");

-- CreateIndex
CREATE INDEX "bad_blocks_host_id_cleared_at_idx" ON "bad_blocks"("host_id", "cleared_at");

-- CreateIndex
CREATE INDEX "bad_blocks_first_seen_idx" ON "bad_blocks"("first_seen");

-- CreateIndex
CREATE INDEX "health_samples_host_id_dimm_sampled_at_idx" ON "health_samples"("host_id", "dimm", "sampled_at");

-- CreateIndex
CREATE INDEX "health_samples_sampled_at_idx" ON "health_samples"("sampled_at");

-- CreateIndex
CREATE INDEX "webhook_deliveries_status_next_attempt_at_idx" ON "webhook_deliveries"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "webhook_deliveries_subscription_id_created_at_idx" ON "webhook_deliveries"("subscription_id", "created_at");

-- CreateIndex
CREATE INDEX "webhook_attempts_delivery_id_at_idx" ON "webhook_attempts"("delivery_id", "at");

-- CreateIndex
CREATE INDEX "scrub_jobs_status_idx" ON "scrub_jobs"("status");


-- At most one open row per host and range (a cleared range that comes back opens a new row)
CREATE UNIQUE INDEX "bad_blocks_open_range_key" ON "bad_blocks"("host_id", "region", "region_offset", "length") WHERE "cleared_at" IS NULL;
