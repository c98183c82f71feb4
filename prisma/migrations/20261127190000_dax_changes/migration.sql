-- CreateTable
CREATE TABLE "dax_changes" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "host_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL,
    "created_by" TEXT NOT NULL,
    "expires_at" DATETIME NOT NULL,
    "plan" TEXT NOT NULL,
    "executed_at" DATETIME,
    "executed_by" TEXT,
    "result" TEXT,
    "updated_at" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "dax_changes_host_id_created_at_idx" ON "dax_changes"("host_id", "created_at");

-- CreateIndex
CREATE INDEX "dax_changes_status_idx" ON "dax_changes"("status");

-- CreateIndex
CREATE INDEX "dax_changes_created_at_idx" ON "dax_changes"("created_at");

