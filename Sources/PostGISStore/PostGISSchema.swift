import Cases
import Foundation
import Grid

/// Every schema step of a Wangge PostGIS database, in order. One database holds many counties: every
/// grid, household, camera, worker and case carries its county code (the first six digits of the
/// grid code, or the county boundary that holds it). Cases are partitioned by month of report.
enum PostGISSchema {
    struct Step {
        let module: String
        let number: Int
        let sql: String
    }

    static let steps: [Step] = [
        Step(module: "grid", number: 1, sql: """
            CREATE EXTENSION IF NOT EXISTS postgis;
            CREATE TABLE boundaries(
              id bigserial PRIMARY KEY,
              code text NOT NULL UNIQUE,
              name text NOT NULL,
              level text NOT NULL CHECK(level IN ('county','town','village')),
              parent_code text,
              geom geometry(MultiPolygon, 4326) NOT NULL);
            CREATE INDEX boundaries_geom ON boundaries USING gist(geom);
            -- The county a place is in, for rows without a grid.
            CREATE FUNCTION wangge_county(g geometry, grid text) RETURNS text LANGUAGE sql STABLE AS $$
              SELECT coalesce(left(grid, 6),
                (SELECT code FROM boundaries b WHERE b.level = 'county' AND g IS NOT NULL AND ST_Covers(b.geom, g) ORDER BY code LIMIT 1))
            $$;
            CREATE FUNCTION wangge_set_county() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN NEW.county := wangge_county(NEW.geom, NEW.grid_id); RETURN NEW; END $$;

            CREATE TABLE grids(
              id bigserial PRIMARY KEY,
              grid_id text NOT NULL UNIQUE,
              county text GENERATED ALWAYS AS (left(grid_id, 6)) STORED,
              name text NOT NULL,
              kind text NOT NULL DEFAULT 'rural' CHECK(kind IN ('urban','rural','dedicated')),
              households integer NOT NULL CHECK(households >= 0),
              households_override integer CHECK(households_override >= 0),
              population integer NOT NULL DEFAULT 0,
              geom geometry(Polygon, 4326) NOT NULL);
            CREATE INDEX grids_geom ON grids USING gist(geom);
            CREATE INDEX grids_county ON grids(county);

            CREATE TABLE grid_versions(
              version integer PRIMARY KEY,
              effective_at timestamptz NOT NULL,
              published_at timestamptz NOT NULL,
              plan_id bigint,
              note text NOT NULL DEFAULT '');
            CREATE TABLE grid_history(
              id bigserial PRIMARY KEY,
              version integer NOT NULL REFERENCES grid_versions(version),
              grid_id text NOT NULL, name text NOT NULL, kind text NOT NULL,
              households integer NOT NULL, households_override integer, population integer NOT NULL,
              geom geometry(Polygon, 4326) NOT NULL,
              UNIQUE(version, grid_id));
            CREATE INDEX grid_history_geom ON grid_history USING gist(geom);
            CREATE TABLE grid_moves(
              id bigserial PRIMARY KEY,
              version integer NOT NULL REFERENCES grid_versions(version),
              item text NOT NULL CHECK(item IN ('household','camera','case')),
              item_id text NOT NULL, from_grid text, to_grid text);
            CREATE INDEX grid_moves_version ON grid_moves(version);

            CREATE TABLE plans(
              id bigserial PRIMARY KEY,
              name text NOT NULL,
              base_version integer NOT NULL,
              status text NOT NULL DEFAULT 'draft' CHECK(status IN ('draft','published','discarded')),
              created_at timestamptz NOT NULL,
              published_version integer);
            CREATE TABLE plan_grids(
              id bigserial PRIMARY KEY,
              plan_id bigint NOT NULL REFERENCES plans(id),
              grid_id text NOT NULL, name text NOT NULL, kind text NOT NULL,
              households integer NOT NULL, households_override integer, population integer NOT NULL,
              geom geometry(Polygon, 4326) NOT NULL,
              UNIQUE(plan_id, grid_id));
            CREATE INDEX plan_grids_geom ON plan_grids USING gist(geom);

            CREATE TABLE households(
              id bigint PRIMARY KEY,
              county text,
              address text NOT NULL,
              households integer NOT NULL CHECK(households > 0),
              population integer NOT NULL DEFAULT 0,
              grid_id text,
              geom geometry(Point, 4326) NOT NULL);
            CREATE INDEX households_geom ON households USING gist(geom);
            CREATE INDEX households_grid ON households(grid_id);
            CREATE TRIGGER households_county BEFORE INSERT OR UPDATE OF geom, grid_id ON households
              FOR EACH ROW EXECUTE FUNCTION wangge_set_county();

            CREATE TABLE cameras(
              id text PRIMARY KEY,
              county text,
              kind text NOT NULL CHECK(kind IN ('tianwang','xueliang','face_recognition','hospital','school',
                                                'forest_fire','shipping','flood_level','social')),
              name text NOT NULL,
              grid_id text,
              geom geometry(Point, 4326) NOT NULL,
              azimuth double precision CHECK(azimuth >= 0 AND azimuth < 360),
              fov double precision CHECK(fov > 0 AND fov <= 360),
              range_m double precision CHECK(range_m > 0 AND range_m <= 2000),
              view_grid_id text,
              CONSTRAINT cameras_view_whole CHECK(num_nulls(azimuth, fov, range_m) IN (0, 3)));
            CREATE INDEX cameras_geom ON cameras USING gist(geom);
            CREATE TRIGGER cameras_county BEFORE INSERT OR UPDATE OF geom, grid_id ON cameras
              FOR EACH ROW EXECUTE FUNCTION wangge_set_county();

            CREATE TABLE workers(
              id bigint PRIMARY KEY,
              county text,
              name text NOT NULL,
              role text NOT NULL CHECK(role IN ('leader','full_time','part_time','police')),
              phone text NOT NULL);
            CREATE TABLE grid_posts(
              grid_id text NOT NULL,
              worker_id bigint NOT NULL REFERENCES workers(id),
              role text NOT NULL CHECK(role IN ('leader','full_time','part_time','police')),
              PRIMARY KEY(grid_id, worker_id, role));
            -- A worker's county: that of the first grid they are posted to.
            CREATE FUNCTION wangge_worker_county() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN UPDATE workers SET county = left(NEW.grid_id, 6) WHERE id = NEW.worker_id AND county IS NULL; RETURN NEW; END $$;
            CREATE TRIGGER grid_posts_county AFTER INSERT ON grid_posts FOR EACH ROW EXECUTE FUNCTION wangge_worker_county();
            CREATE TABLE duty_shifts(
              id bigserial PRIMARY KEY,
              grid_id text NOT NULL,
              worker_id bigint NOT NULL REFERENCES workers(id),
              weekday integer NOT NULL CHECK(weekday BETWEEN 1 AND 7),
              start_minute integer NOT NULL CHECK(start_minute >= 0),
              end_minute integer NOT NULL CHECK(end_minute <= 1440),
              CHECK(start_minute < end_minute));
            CREATE INDEX duty_shifts_grid ON duty_shifts(grid_id, weekday);
            -- One answer to "who is on duty in this grid now": shifts in a grid never overlap.
            CREATE FUNCTION wangge_no_shift_overlap() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF EXISTS (SELECT 1 FROM duty_shifts s WHERE s.grid_id = NEW.grid_id AND s.weekday = NEW.weekday
                         AND s.start_minute < NEW.end_minute AND NEW.start_minute < s.end_minute) THEN
                RAISE EXCEPTION 'duty shift overlaps another shift in the same grid';
              END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER duty_shifts_no_overlap BEFORE INSERT ON duty_shifts FOR EACH ROW EXECUTE FUNCTION wangge_no_shift_overlap();
            """),
        Step(module: "cases", number: 1, sql: """
            -- Tracking codes and case ids, one row per case: what must be unique across the monthly
            -- partitions (PostgreSQL's unique indexes are per partition), and what parties and events refer to.
            CREATE TABLE case_codes(
              case_id bigserial PRIMARY KEY,
              code text NOT NULL UNIQUE);
            CREATE TABLE cases(
              id bigint NOT NULL REFERENCES case_codes(case_id),
              code text NOT NULL,
              county text,
              category text NOT NULL CHECK(category IN ('labour','land','neighbour','family','property','consumer','traffic','debt','other')),
              channel text NOT NULL CHECK(channel IN ('window','qr','patrol','hotline','camera','referral')),
              priority text NOT NULL DEFAULT 'normal' CHECK(priority IN ('normal','urgent')),
              description text NOT NULL,
              household_id bigint, camera_id text, alert_type text, alert_count integer NOT NULL DEFAULT 0, snapshot_url text,
              grid_id text, pole_grid_id text,
              level text NOT NULL CHECK(level IN ('grid','village','town','county','arbitration','court')),
              unit text NOT NULL, worker_id bigint,
              status text NOT NULL CHECK(status IN ('reported','assigned','accepted','mediating','resolved','escalated','closed','rated')),
              unlocated boolean NOT NULL DEFAULT false, overdue boolean NOT NULL DEFAULT false, group_dispute boolean NOT NULL DEFAULT false,
              related_to bigint,
              reported_at timestamptz NOT NULL, accept_by timestamptz, arrive_by timestamptz, due_at timestamptz,
              accepted_at timestamptz, resolved_at timestamptz, closed_at timestamptz,
              rating integer CHECK(rating BETWEEN 1 AND 5),
              geom geometry(Point, 4326) NOT NULL,
              PRIMARY KEY(id, reported_at)) PARTITION BY RANGE (reported_at);
            CREATE INDEX cases_id ON cases(id);
            CREATE INDEX cases_geom ON cases USING gist(geom);
            CREATE INDEX cases_status ON cases(status);
            CREATE INDEX cases_grid ON cases(grid_id);
            CREATE INDEX cases_county ON cases(county);
            CREATE INDEX cases_reported ON cases(reported_at);
            CREATE INDEX cases_code ON cases(code);
            CREATE INDEX cases_camera ON cases(camera_id, alert_type, status) WHERE camera_id IS NOT NULL;
            CREATE INDEX cases_related ON cases(related_to) WHERE related_to IS NOT NULL;
            CREATE TRIGGER cases_county BEFORE INSERT OR UPDATE OF geom, grid_id ON cases
              FOR EACH ROW EXECUTE FUNCTION wangge_set_county();
            -- The month's partition, made when its first case comes (safe against a concurrent maker).
            CREATE FUNCTION wangge_case_month(t timestamptz) RETURNS text LANGUAGE plpgsql AS $$
            DECLARE
              m timestamptz := date_trunc('month', t AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai';
              name text := 'cases_' || to_char(t AT TIME ZONE 'Asia/Shanghai', 'YYYY_MM');
            BEGIN
              IF to_regclass(name) IS NULL THEN
                BEGIN
                  EXECUTE format('CREATE TABLE %I PARTITION OF cases FOR VALUES FROM (%L) TO (%L)', name, m, m + interval '1 month');
                EXCEPTION WHEN duplicate_table OR unique_violation THEN NULL;
                END;
              END IF;
              RETURN name;
            END $$;

            CREATE TABLE case_parties(
              id bigserial PRIMARY KEY,
              case_id bigint NOT NULL REFERENCES case_codes(case_id),
              name text NOT NULL, phone text, id_number text);
            CREATE INDEX case_parties_case ON case_parties(case_id);
            CREATE TABLE case_events(
              id bigserial PRIMARY KEY,
              case_id bigint NOT NULL REFERENCES case_codes(case_id),
              at timestamptz NOT NULL, actor text NOT NULL, source text NOT NULL, action text NOT NULL,
              from_status text, to_status text, unit text, note text);
            CREATE INDEX case_events_case ON case_events(case_id);
            CREATE FUNCTION wangge_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'case events are append-only'; END $$;
            CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events
              FOR EACH ROW EXECUTE FUNCTION wangge_append_only();
            CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON case_events
              FOR EACH STATEMENT EXECUTE FUNCTION wangge_append_only();

            CREATE TABLE deadline_rules(
              category text NOT NULL, priority text NOT NULL,
              accept_minutes integer NOT NULL, arrive_minutes integer, resolve_minutes integer NOT NULL,
              auto_escalate boolean NOT NULL DEFAULT false,
              PRIMARY KEY(category, priority));
            INSERT INTO deadline_rules
              SELECT c, 'normal', 240, NULL, 15 * 1440, false
              FROM unnest(ARRAY['labour','land','neighbour','family','property','consumer','traffic','debt','other']) c;
            INSERT INTO deadline_rules SELECT category, 'urgent', 30, 60, 3 * 1440, true FROM deadline_rules WHERE priority = 'normal';
            CREATE TABLE case_settings(key text PRIMARY KEY, value double precision NOT NULL);
            INSERT INTO case_settings VALUES
              ('related_distance_m', 300), ('related_window_hours', 72), ('group_party_threshold', 5), ('alert_dedupe_minutes', 30);
            """),
        // A retried intake (a phone on a poor network) finds the case its first attempt made.
        Step(module: "cases", number: 2, sql: """
            CREATE TABLE idempotency_keys(
              key text PRIMARY KEY,
              fingerprint text NOT NULL,
              case_id bigint NOT NULL REFERENCES case_codes(case_id),
              created_at timestamptz NOT NULL);
            """),
        // The code of each case's handling unit, indexed (byte order): a town's or a village's desk
        // reads its cases by a range of it, not by scanning every case.
        Step(module: "cases", number: 3, sql: #"CREATE INDEX cases_unit_code ON cases ((split_part(unit, ':', 2) COLLATE "C"));"#),
        // Disputes of a kind (a filter's category = …), beside the GiST index of places.
        Step(module: "cases", number: 4, sql: "CREATE INDEX cases_category ON cases(category);"),
        // Parties' numbers sealed (AES-GCM) with a keyed hash to match them across cases; the plain
        // columns stay for older rows until the first writer seals them (it has the key, SQL has
        // not), and no statement may put a plain number back.
        Step(module: "cases", number: 5, sql: """
            ALTER TABLE case_parties ADD COLUMN phone_sealed bytea, ADD COLUMN phone_match bytea,
              ADD COLUMN id_sealed bytea, ADD COLUMN id_match bytea;
            CREATE INDEX case_parties_phone_match ON case_parties(phone_match) WHERE phone_match IS NOT NULL;
            CREATE INDEX case_parties_id_match ON case_parties(id_match) WHERE id_match IS NOT NULL;
            CREATE INDEX case_parties_plain ON case_parties(id) WHERE phone IS NOT NULL OR id_number IS NOT NULL;
            CREATE FUNCTION wangge_parties_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.phone IS NOT NULL OR NEW.id_number IS NOT NULL THEN
                RAISE EXCEPTION 'parties'' numbers are kept sealed, never plain' USING ERRCODE = 'check_violation';
              END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER case_parties_sealed BEFORE INSERT OR UPDATE OF phone, id_number ON case_parties
              FOR EACH ROW EXECUTE FUNCTION wangge_parties_sealed();
            CREATE TABLE party_key(id text NOT NULL);
            """),
        // Letters and visits (信访) as a channel; and the provincial system's id of each imported
        // case, so that importing the same file again adds nothing.
        Step(module: "cases", number: 6, sql: """
            ALTER TABLE cases DROP CONSTRAINT cases_channel_check,
              ADD CONSTRAINT cases_channel_check CHECK(channel IN ('window','qr','patrol','hotline','camera','referral','petition'));
            CREATE TABLE case_external_ids(
              external_id text PRIMARY KEY,
              case_id bigint NOT NULL REFERENCES case_codes(case_id));
            """),
        // A resident's photo of a case (re-encoded, its metadata stripped), and the digest of the
        // one-time key with which the party rates the closed case.
        Step(module: "cases", number: 7, sql: """
            CREATE TABLE case_photos(
              id bigserial PRIMARY KEY,
              case_id bigint NOT NULL REFERENCES case_codes(case_id),
              content_type text NOT NULL, width integer NOT NULL, height integer NOT NULL,
              bytes bytea NOT NULL, created_at timestamptz NOT NULL);
            CREATE INDEX case_photos_case ON case_photos(case_id);
            CREATE TABLE case_rating_keys(
              case_id bigint PRIMARY KEY REFERENCES case_codes(case_id),
              digest text NOT NULL);
            """),
        // Mediation committees and departments' windows (`Unit`) with the categories they take and
        // route; the units called in to assist with a case (the one leading is the case's `unit`).
        Step(module: "cases", number: 8, sql: """
            CREATE TABLE units(
              code text PRIMARY KEY,
              kind text NOT NULL CHECK(kind IN ('committee','department')),
              area text NOT NULL, key text NOT NULL, name text NOT NULL,
              categories text NOT NULL, routes text NOT NULL DEFAULT '');
            CREATE TABLE case_assists(
              case_id bigint NOT NULL REFERENCES case_codes(case_id),
              unit text NOT NULL REFERENCES units(code),
              at timestamptz NOT NULL,
              PRIMARY KEY(case_id, unit));
            CREATE INDEX case_assists_unit ON case_assists(unit);
            """),
        // Workers' track fixes (field work).
        Step(module: "field", number: 1, sql: """
            CREATE TABLE track_fixes(
              worker_id bigint NOT NULL,
              at timestamptz NOT NULL,
              lon double precision NOT NULL CHECK(lon BETWEEN -180 AND 180),
              lat double precision NOT NULL CHECK(lat BETWEEN -90 AND 90),
              PRIMARY KEY(worker_id, at));
            CREATE INDEX track_fixes_at ON track_fixes(at);
            """),
        // What each worker's day of track showed, visits, key households, patrol reports and last
        // positions (`mark`: the change feed's position in them, from a sequence).
        Step(module: "field", number: 2, sql: """
            CREATE TABLE patrol_days(
              worker_id bigint NOT NULL,
              day date NOT NULL,
              grid_code text NOT NULL,
              passes text NOT NULL,
              covered text NOT NULL,
              PRIMARY KEY(worker_id, day, grid_code));
            CREATE INDEX patrol_days_day ON patrol_days(day);
            CREATE TABLE household_visits(
              worker_id bigint NOT NULL,
              household_id bigint NOT NULL,
              day date NOT NULL,
              at timestamptz NOT NULL,
              PRIMARY KEY(worker_id, day, household_id));
            CREATE INDEX household_visits_day ON household_visits(day);
            CREATE TABLE key_households(
              household_id bigint PRIMARY KEY,
              kind text NOT NULL CHECK(kind IN ('key_family','special_group')));
            CREATE TABLE patrol_reports(
              case_id bigint PRIMARY KEY,
              worker_id bigint NOT NULL,
              at timestamptz NOT NULL);
            CREATE INDEX patrol_reports_at ON patrol_reports(at);
            CREATE SEQUENCE worker_position_marks;
            CREATE TABLE worker_positions(
              worker_id bigint PRIMARY KEY,
              at timestamptz NOT NULL,
              lon double precision NOT NULL CHECK(lon BETWEEN -180 AND 180),
              lat double precision NOT NULL CHECK(lat BETWEEN -90 AND 90),
              accuracy_m double precision,
              mark bigint NOT NULL DEFAULT nextval('worker_position_marks'));
            CREATE INDEX worker_positions_mark ON worker_positions(mark);
            """),
        // The time index cost more than the rest of a track upload (each worker's day is inserted
        // in time order, the index's pages all over): pruning goes worker by worker on the key.
        Step(module: "field", number: 3, sql: """
            DROP INDEX IF EXISTS track_fixes_at;
            """),
        Step(module: "auth", number: 1, sql: """
            CREATE TABLE api_tokens(
              id bigserial PRIMARY KEY,
              name text NOT NULL,
              role text NOT NULL CHECK(role IN ('planner','dispatcher','worker','viewer')),
              worker_id bigint,
              digest text NOT NULL UNIQUE,
              created_at timestamptz NOT NULL,
              revoked_at timestamptz,
              CHECK((role = 'worker') = (worker_id IS NOT NULL)));
            """),
        // The area a token is limited to (辖区: a county, town or village code); and sign-in
        // sessions, rows of their own made from a token (`parent_id`), ending at `expires_at` or
        // at sign-out, and with the token they came from.
        Step(module: "auth", number: 2, sql: """
            ALTER TABLE api_tokens ADD COLUMN area text CHECK(area IS NULL OR length(area) IN (6, 9, 12));
            ALTER TABLE api_tokens ADD COLUMN parent_id bigint REFERENCES api_tokens(id);
            ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
            """),
        // Open311 clients' api_keys.
        Step(module: "auth", number: 3, sql: """
            ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check,
              ADD CONSTRAINT api_tokens_role_check CHECK(role IN ('planner','dispatcher','worker','viewer','open311'));
            """),
        // Committees' and departments' desks: a token of the `unit` role names its unit.
        Step(module: "auth", number: 4, sql: """
            ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check,
              ADD CONSTRAINT api_tokens_role_check CHECK(role IN ('planner','dispatcher','worker','viewer','open311','unit')),
              ADD COLUMN unit text;
            """),
        // The change feed: a counter per kind besides case events and layer versions, bumped in the
        // transaction of the change whoever writes it, and a notification on channel `wangge`
        // (delivered at commit) so that every server's follower reads at once.
        Step(module: "feed", number: 1, sql: """
            CREATE TABLE change_marks(kind text PRIMARY KEY, mark bigint NOT NULL);
            INSERT INTO change_marks VALUES ('plans', 0), ('tokens', 0);
            CREATE FUNCTION wangge_mark() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              UPDATE change_marks SET mark = mark + 1 WHERE kind = TG_ARGV[0];
              PERFORM pg_notify('wangge', TG_ARGV[0]);
              RETURN NULL;
            END $$;
            CREATE TRIGGER plans_mark AFTER INSERT OR UPDATE OR DELETE ON plans FOR EACH STATEMENT EXECUTE FUNCTION wangge_mark('plans');
            CREATE TRIGGER plan_grids_mark AFTER INSERT OR UPDATE OR DELETE ON plan_grids FOR EACH STATEMENT EXECUTE FUNCTION wangge_mark('plans');
            CREATE TRIGGER api_tokens_mark AFTER INSERT OR UPDATE OR DELETE ON api_tokens FOR EACH STATEMENT EXECUTE FUNCTION wangge_mark('tokens');
            CREATE FUNCTION wangge_notify() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_notify('wangge', TG_ARGV[0]); RETURN NULL; END $$;
            CREATE TRIGGER case_events_notify AFTER INSERT ON case_events FOR EACH STATEMENT EXECUTE FUNCTION wangge_notify('case');
            CREATE TRIGGER grid_versions_notify AFTER INSERT ON grid_versions FOR EACH STATEMENT EXECUTE FUNCTION wangge_notify('layer');
            """),
        // Workers' positions wake the followers too (they carry `position` events).
        Step(module: "feed", number: 2, sql: """
            CREATE TRIGGER worker_positions_notify AFTER INSERT OR UPDATE ON worker_positions FOR EACH STATEMENT EXECUTE FUNCTION wangge_notify('position');
            """),
        // Units changed (an import): every server reads them again (names, routing rules).
        Step(module: "feed", number: 3, sql: """
            INSERT INTO change_marks VALUES ('units', 0);
            CREATE TRIGGER units_mark AFTER INSERT OR UPDATE OR DELETE ON units FOR EACH STATEMENT EXECUTE FUNCTION wangge_mark('units');
            """),
        // Micro-grids (微网格), each in one grid, with its leader (微网格长) among the staff.
        Step(module: "grid", number: 2, sql: """
            ALTER TABLE workers DROP CONSTRAINT workers_role_check;
            ALTER TABLE workers ADD CONSTRAINT workers_role_check CHECK(role IN ('leader','full_time','part_time','police','microgrid_leader'));
            CREATE TABLE microgrids(
              id bigserial PRIMARY KEY,
              microgrid_id text NOT NULL UNIQUE,
              grid_id text NOT NULL CHECK(microgrid_id = grid_id || right(microgrid_id, 3)),
              county text NOT NULL GENERATED ALWAYS AS (left(microgrid_id, 6)) STORED,
              name text NOT NULL,
              households integer NOT NULL DEFAULT 0 CHECK(households >= 0),
              leader_id bigint REFERENCES workers(id),
              geom geometry(Polygon, 4326) NOT NULL);
            CREATE INDEX microgrids_geom ON microgrids USING gist(geom);
            CREATE INDEX microgrids_grid ON microgrids(grid_id);
            CREATE INDEX microgrids_county ON microgrids(county);
            """),
        // The micro-grid a case lies in (its leader is the first to it).
        Step(module: "cases", number: 9, sql: "ALTER TABLE cases ADD COLUMN microgrid_id text;"),
        // Micro-grids changed (an import): every server reads its territory again, as for units.
        Step(module: "feed", number: 4, sql: """
            CREATE TRIGGER microgrids_mark AFTER INSERT OR UPDATE OR DELETE ON microgrids FOR EACH STATEMENT EXECUTE FUNCTION wangge_mark('units');
            """),
    ]

    static var names: [String] { steps.map { "\($0.module) \($0.number)" } }

    /// Where the feed stands in this database.
    static func position(_ db: PGConnection) throws -> FeedPosition {
        guard let r = try db.query("""
            SELECT (SELECT coalesce(max(id), 0) FROM case_events), (SELECT coalesce(max(version), 0) FROM grid_versions),
                   (SELECT mark FROM change_marks WHERE kind = 'plans'), (SELECT mark FROM change_marks WHERE kind = 'tokens'),
                   (SELECT coalesce(max(mark), 0) FROM worker_positions), (SELECT mark FROM change_marks WHERE kind = 'units')
            """).first else { return FeedPosition() }
        return FeedPosition(caseEvent: r.int(0) ?? 0, layerVersion: Int(r.int(1) ?? 0), plans: r.int(2) ?? 0, tokens: r.int(3) ?? 0, positions: r.int(4) ?? 0,
                            units: r.int(5) ?? 0)
    }

    static func applied(_ db: PGConnection) throws -> Set<String> {
        guard try db.scalar("SELECT to_regclass('schema_migrations') IS NOT NULL") == "t" else { return [] }
        return Set(try db.query("SELECT module || ' ' || number FROM schema_migrations").compactMap { $0[0] })
    }

    static func migrate(_ db: PGConnection) throws -> [String] {
        // One migrator at a time (two servers starting together).
        return try db.transaction {
            try db.execute("SELECT pg_advisory_xact_lock(7415001)")
            try db.execute("CREATE TABLE IF NOT EXISTS schema_migrations(module text NOT NULL, number integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY(module, number))")
            let before = try applied(db)
            try refuseNewer(before, location: db.location)
            var done: [String] = []
            for s in steps where !before.contains("\(s.module) \(s.number)") {
                do {
                    try db.execute(s.sql)
                } catch let error as StoreError {
                    throw StoreError(error.kind, "migration \(s.module) \(s.number) failed: \(error.reason)", detail: error.detail)
                }
                try db.query("INSERT INTO schema_migrations(module, number) VALUES ($1, $2)", [.text(s.module), PGValue(s.number)])
                done.append("\(s.module) \(s.number)")
            }
            return done
        }
    }

    static func refuseNewer(_ applied: Set<String>, location: String) throws {
        let newer = applied.subtracting(names).sorted()
        guard newer.isEmpty else {
            throw StoreError(.schema, "\(location) was written by a newer wangge (schema steps \(newer.joined(separator: ", ")) are unknown here): use that version")
        }
    }

    static func check(_ db: PGConnection) throws {
        let applied = try applied(db)
        guard !applied.isEmpty else {
            throw StoreError(.schema, "\(db.location) is not a Wangge database: create one with `wangge init --db \(db.location)` (or `wangge demo --db \(db.location)`)")
        }
        try refuseNewer(applied, location: db.location)
        let missing = names.filter { !applied.contains($0) }
        guard missing.isEmpty else {
            throw StoreError(.schema, "\(db.location) has an older schema (missing \(missing.joined(separator: ", "))): run `wangge migrate --db \(db.location)` first")
        }
    }
}
