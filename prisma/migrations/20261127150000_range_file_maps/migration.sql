-- Issue 6: the files a bad range hits, per host and range (generated with prisma migrate diff --script).
-- CreateTable
CREATE TABLE "range_file_maps" (
    "host_id" TEXT NOT NULL,
    "region" TEXT NOT NULL,
    "region_offset" INTEGER NOT NULL,
    "length" INTEGER NOT NULL,
    "files" TEXT NOT NULL,
    "mapped_at" DATETIME NOT NULL,
    "received_at" DATETIME NOT NULL,

    PRIMARY KEY ("host_id", "region", "region_offset", "length")
);

