-- The stored inventory follows the latest report even when only volatile fields (DIMM temperatures, scrub
-- progress) changed; report_hash (sha256 of the inventory JSON as reported) tells when to rewrite it.
-- Written by hand: SQLite adds a column with a constant default in place, where `migrate diff` would rebuild the
-- table under the hosts.current_version_id foreign key.
ALTER TABLE "inventory_versions" ADD COLUMN "report_hash" TEXT NOT NULL DEFAULT '';
