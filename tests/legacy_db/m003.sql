BEGIN TRANSACTION;
CREATE TABLE _changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tbl TEXT NOT NULL,
    row_id TEXT NOT NULL,
    version TEXT NOT NULL,
    op TEXT NOT NULL,
    data TEXT NOT NULL,
    area TEXT NOT NULL,
    prev_area TEXT,
    src TEXT
);
CREATE TABLE _conflicts (
    id INTEGER PRIMARY KEY,
    tbl TEXT NOT NULL,
    row_id TEXT NOT NULL,
    field TEXT NOT NULL,
    kept_value TEXT,
    kept_version TEXT NOT NULL,
    lost_value TEXT,
    lost_version TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    resolved_at TEXT,
    resolved_by TEXT
);
CREATE TABLE "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
);
INSERT INTO "_sqlite_migrations" VALUES(1,'village','m001_records','2026-11-22 04:37:09.918266+00:00');
INSERT INTO "_sqlite_migrations" VALUES(2,'village','m002_local_tables','2026-11-22 04:37:09.919443+00:00');
INSERT INTO "_sqlite_migrations" VALUES(3,'village','m003_sync_nodes','2026-11-22 04:37:09.921069+00:00');
CREATE TABLE _sync_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE "announcements" (
   "id" TEXT PRIMARY KEY,
   "area" TEXT NOT NULL,
   "title" TEXT,
   "body" TEXT,
   "priority" TEXT,
   "publish_at" TEXT,
   "expires_at" TEXT,
   "_version" TEXT NOT NULL,
   "_origin" TEXT NOT NULL,
   "_deleted" INTEGER DEFAULT 0,
   "_fv" TEXT NOT NULL
);
CREATE TABLE "audit" (
   "id" INTEGER PRIMARY KEY,
   "at" TEXT NOT NULL,
   "actor" TEXT,
   "action" TEXT NOT NULL,
   "target" TEXT,
   "detail" TEXT
);
CREATE TABLE "grievances" (
   "id" TEXT PRIMARY KEY,
   "area" TEXT NOT NULL,
   "ticket" TEXT,
   "category" TEXT,
   "description" TEXT,
   "location" TEXT,
   "reporter" TEXT,
   "status" TEXT,
   "responses" TEXT,
   "_version" TEXT NOT NULL,
   "_origin" TEXT NOT NULL,
   "_deleted" INTEGER DEFAULT 0,
   "_fv" TEXT NOT NULL
);
CREATE TABLE "households" (
   "id" TEXT PRIMARY KEY,
   "area" TEXT NOT NULL,
   "code" TEXT,
   "head_name" TEXT,
   "id_number" TEXT,
   "phone" TEXT,
   "address" TEXT,
   "members" INTEGER,
   "monitoring_status" TEXT,
   "notes" TEXT,
   "_version" TEXT NOT NULL,
   "_origin" TEXT NOT NULL,
   "_deleted" INTEGER DEFAULT 0,
   "_fv" TEXT NOT NULL
);
CREATE TABLE "livestock" (
   "id" TEXT PRIMARY KEY,
   "area" TEXT NOT NULL,
   "household_id" TEXT REFERENCES "households"("id"),
   "species" TEXT,
   "count" INTEGER,
   "vaccinated_on" TEXT,
   "notes" TEXT,
   "_version" TEXT NOT NULL,
   "_origin" TEXT NOT NULL,
   "_deleted" INTEGER DEFAULT 0,
   "_fv" TEXT NOT NULL
);
CREATE TABLE "market_prices" (
   "id" TEXT PRIMARY KEY,
   "area" TEXT NOT NULL,
   "commodity" TEXT,
   "unit" TEXT,
   "price" REAL,
   "currency" TEXT,
   "market" TEXT,
   "observed_on" TEXT,
   "_version" TEXT NOT NULL,
   "_origin" TEXT NOT NULL,
   "_deleted" INTEGER DEFAULT 0,
   "_fv" TEXT NOT NULL
);
CREATE TABLE "nodes" (
   "node_id" TEXT PRIMARY KEY,
   "name" TEXT NOT NULL,
   "area" TEXT NOT NULL,
   "code_hash" TEXT NOT NULL,
   "secret" TEXT NOT NULL,
   "enrolled_by" TEXT,
   "created_at" TEXT NOT NULL,
   "enrolled_at" TEXT,
   "revoked_at" TEXT,
   "push_cursor" INTEGER DEFAULT 0,
   "last_seen" TEXT,
   "clock_skew_ms" INTEGER,
   "restamped" INTEGER DEFAULT 0
);
CREATE TABLE "persons" (
   "id" TEXT PRIMARY KEY,
   "area" TEXT NOT NULL,
   "household_id" TEXT REFERENCES "households"("id"),
   "name" TEXT,
   "sex" TEXT,
   "birth_date" TEXT,
   "id_number" TEXT,
   "relation" TEXT,
   "phone" TEXT,
   "lives_alone" INTEGER,
   "disability" TEXT,
   "notes" TEXT,
   "_version" TEXT NOT NULL,
   "_origin" TEXT NOT NULL,
   "_deleted" INTEGER DEFAULT 0,
   "_fv" TEXT NOT NULL
);
CREATE TABLE "plantings" (
   "id" TEXT PRIMARY KEY,
   "area" TEXT NOT NULL,
   "plot_id" TEXT REFERENCES "plots"("id"),
   "season" TEXT,
   "crop" TEXT,
   "variety" TEXT,
   "planted_on" TEXT,
   "harvested_on" TEXT,
   "yield_kg" REAL,
   "inputs" TEXT,
   "notes" TEXT,
   "_version" TEXT NOT NULL,
   "_origin" TEXT NOT NULL,
   "_deleted" INTEGER DEFAULT 0,
   "_fv" TEXT NOT NULL
);
CREATE TABLE "plots" (
   "id" TEXT PRIMARY KEY,
   "area" TEXT NOT NULL,
   "household_id" TEXT REFERENCES "households"("id"),
   "name" TEXT,
   "area_mu" REAL,
   "land_type" TEXT,
   "lat" REAL,
   "lon" REAL,
   "notes" TEXT,
   "_version" TEXT NOT NULL,
   "_origin" TEXT NOT NULL,
   "_deleted" INTEGER DEFAULT 0,
   "_fv" TEXT NOT NULL
);
CREATE TABLE "service_requests" (
   "id" TEXT PRIMARY KEY,
   "area" TEXT NOT NULL,
   "ticket" TEXT,
   "household_id" TEXT REFERENCES "households"("id"),
   "applicant_name" TEXT,
   "applicant_phone" TEXT,
   "kind" TEXT,
   "details" TEXT,
   "status" TEXT,
   "history" TEXT,
   "_version" TEXT NOT NULL,
   "_origin" TEXT NOT NULL,
   "_deleted" INTEGER DEFAULT 0,
   "_fv" TEXT NOT NULL
);
CREATE TABLE "sync_nonces" (
   "nonce" TEXT PRIMARY KEY,
   "issued_ms" INTEGER NOT NULL
);
CREATE TABLE "sync_restamps" (
   "old_version" TEXT PRIMARY KEY,
   "new_version" TEXT NOT NULL
);
CREATE TABLE "users" (
   "username" TEXT PRIMARY KEY,
   "password_hash" TEXT NOT NULL,
   "role" TEXT NOT NULL,
   "created_at" TEXT NOT NULL,
   "disabled" INTEGER DEFAULT 0
);
CREATE TABLE "visits" (
   "id" TEXT PRIMARY KEY,
   "area" TEXT NOT NULL,
   "household_id" TEXT REFERENCES "households"("id"),
   "visitor" TEXT,
   "kind" TEXT,
   "visited_on" TEXT,
   "answers" TEXT,
   "risk_level" TEXT,
   "follow_up" TEXT,
   "notes" TEXT,
   "_version" TEXT NOT NULL,
   "_origin" TEXT NOT NULL,
   "_deleted" INTEGER DEFAULT 0,
   "_fv" TEXT NOT NULL
);
CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"
    ON "_sqlite_migrations" ("migration_set", "name");
CREATE UNIQUE INDEX _changes_version ON _changes (version);
CREATE INDEX _changes_row ON _changes (tbl, row_id);
CREATE UNIQUE INDEX _conflicts_once ON _conflicts (tbl, row_id, field, lost_version);
CREATE INDEX "idx_households_code"
    ON "households" ("code");
CREATE INDEX "idx_households_head_name"
    ON "households" ("head_name");
CREATE INDEX "idx_households_phone"
    ON "households" ("phone");
CREATE INDEX "idx_households_id_number"
    ON "households" ("id_number");
CREATE INDEX "idx_persons_household_id"
    ON "persons" ("household_id");
CREATE INDEX "idx_persons_id_number"
    ON "persons" ("id_number");
CREATE INDEX "idx_persons_name_birth_date"
    ON "persons" ("name", "birth_date");
CREATE INDEX "idx_plots_household_id"
    ON "plots" ("household_id");
CREATE INDEX "idx_plantings_plot_id"
    ON "plantings" ("plot_id");
CREATE INDEX "idx_livestock_household_id"
    ON "livestock" ("household_id");
CREATE INDEX "idx_service_requests_ticket"
    ON "service_requests" ("ticket");
CREATE INDEX "idx_service_requests_status"
    ON "service_requests" ("status");
CREATE INDEX "idx_service_requests_household_id"
    ON "service_requests" ("household_id");
CREATE INDEX "idx_grievances_ticket"
    ON "grievances" ("ticket");
CREATE INDEX "idx_grievances_status"
    ON "grievances" ("status");
CREATE INDEX "idx_visits_household_id"
    ON "visits" ("household_id");
CREATE INDEX "idx_announcements_area"
    ON "announcements" ("area");
CREATE INDEX "idx_market_prices_observed_on"
    ON "market_prices" ("observed_on");
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE UNIQUE INDEX "idx_nodes_code_hash"
    ON "nodes" ("code_hash");
DELETE FROM "sqlite_sequence";
COMMIT;
