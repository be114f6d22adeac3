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
, base TEXT);
INSERT INTO "_changes" VALUES(1,'households','00000000-0000-4000-8000-000000000001','01a2018b348e0000-0123456789ab','put','{"area":"52/5201/520102/001","code":"H0001","head_name":"张三","members":3}','52/5201/520102/001',NULL,NULL,NULL);
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
INSERT INTO "_sqlite_migrations" VALUES(1,'village','m001_records','2026-11-22 04:37:09.894077+00:00');
INSERT INTO "_sqlite_migrations" VALUES(2,'village','m002_local_tables','2026-11-22 04:37:09.895296+00:00');
INSERT INTO "_sqlite_migrations" VALUES(3,'village','m003_sync_nodes','2026-11-22 04:37:09.896955+00:00');
INSERT INTO "_sqlite_migrations" VALUES(4,'village','m004_change_base','2026-11-22 04:37:09.897969+00:00');
INSERT INTO "_sqlite_migrations" VALUES(5,'village','m005_audit_indexes','2026-11-22 04:37:09.898524+00:00');
INSERT INTO "_sqlite_migrations" VALUES(6,'village','m006_last_push','2026-11-22 04:37:09.899385+00:00');
INSERT INTO "_sqlite_migrations" VALUES(7,'village','m008_accounts','2026-11-22 04:37:09.900532+00:00');
INSERT INTO "_sqlite_migrations" VALUES(8,'village','m007_trust','2026-11-22 04:37:09.902028+00:00');
CREATE TABLE _sync_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO "_sync_meta" VALUES('node.id','0123456789ab');
INSERT INTO "_sync_meta" VALUES('sync.push_cursor','1');
INSERT INTO "_sync_meta" VALUES('hlc','117658237658857472');
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
INSERT INTO "households" VALUES('00000000-0000-4000-8000-000000000001','52/5201/520102/001','H0001','张三',NULL,NULL,NULL,3,NULL,NULL,'01a2018b348e0000-0123456789ab','0123456789ab',0,'{"area":"01a2018b348e0000-0123456789ab","code":"01a2018b348e0000-0123456789ab","head_name":"01a2018b348e0000-0123456789ab","members":"01a2018b348e0000-0123456789ab"}');
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
, last_push TEXT, enroll_claim TEXT);
INSERT INTO "nodes" VALUES('cab93e576f0b','村','52/5201/520102/001','f5a26d3f21a9786e95c5e817ba5f4716b68ab5b449159c5225024d7def546191','f40a9337256a5b889f56d57891d811cd48bddfd1c1ead10982ddf9c8c6dfeaa5',NULL,'2026-11-22T04:37:09+00:00',NULL,NULL,0,NULL,NULL,0,'{"start": 0}','cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc');
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
INSERT INTO "sync_nonces" VALUES('n1',1);
CREATE TABLE sync_quarantine (
    id INTEGER PRIMARY KEY,
    node_id TEXT NOT NULL,
    version TEXT NOT NULL,
    tbl TEXT NOT NULL,
    row_id TEXT NOT NULL,
    change TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    problems TEXT,
    received_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'held',
    decided_by TEXT,
    decided_at TEXT
);
CREATE TABLE sync_refusals (
    version TEXT PRIMARY KEY,
    tbl TEXT NOT NULL,
    row_id TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    problems TEXT,
    refused_at TEXT NOT NULL
);
INSERT INTO "sync_refusals" VALUES('v1','households','x','clash','m',NULL,'2026-11-22T04:37:09+00:00');
CREATE TABLE "sync_restamps" (
   "old_version" TEXT PRIMARY KEY,
   "new_version" TEXT NOT NULL
);
INSERT INTO "sync_restamps" VALUES('a','b');
CREATE TABLE "throttle" (
   "key" TEXT PRIMARY KEY,
   "count" INTEGER NOT NULL,
   "since" REAL NOT NULL,
   "until" REAL DEFAULT 0
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
CREATE TABLE "web_sessions" (
   "id" TEXT PRIMARY KEY,
   "username" TEXT NOT NULL,
   "created_at" TEXT NOT NULL,
   "last_seen" REAL NOT NULL,
   "ip" TEXT
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
CREATE INDEX "idx_audit_action_target"
    ON "audit" ("action", "target");
CREATE INDEX "idx_audit_action_actor"
    ON "audit" ("action", "actor");
CREATE INDEX "idx_web_sessions_username"
    ON "web_sessions" ("username");
CREATE UNIQUE INDEX sync_quarantine_once ON sync_quarantine (node_id, version);
CREATE INDEX sync_quarantine_state ON sync_quarantine (state, node_id);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('_changes',1);
COMMIT;
