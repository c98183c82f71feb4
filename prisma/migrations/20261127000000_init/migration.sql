-- CreateTable
CREATE TABLE "hosts" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "hostname" TEXT NOT NULL,
    "agent_version" TEXT NOT NULL,
    "sysfs_root" TEXT NOT NULL,
    "interval_ms" INTEGER NOT NULL,
    "first_seen" DATETIME NOT NULL,
    "last_seen" DATETIME NOT NULL,
    "current_version_id" INTEGER,
    CONSTRAINT "hosts_current_version_id_fkey" FOREIGN KEY ("current_version_id") REFERENCES "inventory_versions" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "inventory_versions" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "host_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "content_hash" TEXT NOT NULL,
    "inventory" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "changes" TEXT NOT NULL,
    "first_seen" DATETIME NOT NULL,
    "last_seen" DATETIME NOT NULL,
    CONSTRAINT "inventory_versions_host_id_fkey" FOREIGN KEY ("host_id") REFERENCES "hosts" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "hosts_current_version_id_key" ON "hosts"("current_version_id");

-- CreateIndex
CREATE UNIQUE INDEX "inventory_versions_host_id_version_key" ON "inventory_versions"("host_id", "version");

