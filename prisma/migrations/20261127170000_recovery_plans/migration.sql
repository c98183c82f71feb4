-- CreateTable
CREATE TABLE "recovery_plans" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "host_id" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL,
    "created_by" TEXT NOT NULL,
    "expires_at" DATETIME NOT NULL,
    "plan" TEXT NOT NULL,
    "execution" TEXT,
    "executed_by" TEXT,
    "seq" INTEGER NOT NULL DEFAULT 0,
    "updated_at" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "recovery_plans_host_id_created_at_idx" ON "recovery_plans"("host_id", "created_at");

-- CreateIndex
CREATE INDEX "recovery_plans_status_idx" ON "recovery_plans"("status");

-- CreateIndex
CREATE INDEX "recovery_plans_created_at_idx" ON "recovery_plans"("created_at");

