import Cases
import Foundation
import Geo
import Grid
import StoreSQL

/// Cases, their parties and events in the same SpatiaLite file as the grids (one connection, so a
/// grid publish moves open cases in the same transaction). `cases` is a point layer without personal
/// data; parties live in `case_parties`; `case_events` is append-only (the database refuses updates
/// and deletes).
public final class SpatiaLiteCaseStore: CaseStore {
    let database: Database

    public static let migrations: [Migration] = [
        Migration(module: "cases", number: 1, sql: """
            CREATE TABLE cases(
              id INTEGER PRIMARY KEY,
              code TEXT NOT NULL UNIQUE,
              category TEXT NOT NULL CHECK(category IN ('labour','land','neighbour','family','property','consumer','traffic','debt','other')),
              channel TEXT NOT NULL CHECK(channel IN ('window','qr','patrol','hotline','camera','referral')),
              priority TEXT NOT NULL DEFAULT 'normal' CHECK(priority IN ('normal','urgent')),
              description TEXT NOT NULL,
              household_id INTEGER, camera_id TEXT, alert_type TEXT, alert_count INTEGER NOT NULL DEFAULT 0, snapshot_url TEXT,
              grid_id TEXT,
              level TEXT NOT NULL CHECK(level IN ('grid','village','town','county','arbitration','court')),
              unit TEXT NOT NULL, worker_id INTEGER,
              status TEXT NOT NULL CHECK(status IN ('reported','assigned','accepted','mediating','resolved','escalated','closed','rated')),
              unlocated INTEGER NOT NULL DEFAULT 0, overdue INTEGER NOT NULL DEFAULT 0, group_dispute INTEGER NOT NULL DEFAULT 0,
              related_to INTEGER REFERENCES cases(id),
              reported_at TEXT NOT NULL, accept_by TEXT, arrive_by TEXT, due_at TEXT,
              accepted_at TEXT, resolved_at TEXT, closed_at TEXT,
              rating INTEGER CHECK(rating BETWEEN 1 AND 5));
            SELECT AddGeometryColumn('cases', 'geom', 4326, 'POINT', 'XY', 1);
            SELECT CreateSpatialIndex('cases', 'geom');
            CREATE INDEX cases_status ON cases(status);
            CREATE INDEX cases_grid ON cases(grid_id);
            CREATE INDEX cases_reported ON cases(reported_at);
            CREATE INDEX cases_camera ON cases(camera_id, alert_type, status);
            CREATE INDEX cases_related ON cases(related_to);
            CREATE TABLE case_parties(
              case_id INTEGER NOT NULL REFERENCES cases(id),
              name TEXT NOT NULL, phone TEXT, id_number TEXT);
            CREATE INDEX case_parties_case ON case_parties(case_id);
            CREATE TABLE case_events(
              id INTEGER PRIMARY KEY,
              case_id INTEGER NOT NULL REFERENCES cases(id),
              at TEXT NOT NULL, actor TEXT NOT NULL, source TEXT NOT NULL, action TEXT NOT NULL,
              from_status TEXT, to_status TEXT, unit TEXT, note TEXT);
            CREATE INDEX case_events_case ON case_events(case_id);
            CREATE TRIGGER case_events_append_only_u BEFORE UPDATE ON case_events
            BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;
            CREATE TRIGGER case_events_append_only_d BEFORE DELETE ON case_events
            BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;
            -- Time to accept, to arrive ("must arrive" for urgent events) and to resolve, per category
            -- and priority; auto_escalate: overdue cases go a level up by themselves.
            CREATE TABLE deadline_rules(
              category TEXT NOT NULL, priority TEXT NOT NULL,
              accept_minutes INTEGER NOT NULL, arrive_minutes INTEGER, resolve_minutes INTEGER NOT NULL,
              auto_escalate INTEGER NOT NULL DEFAULT 0,
              PRIMARY KEY(category, priority));
            INSERT INTO deadline_rules
              SELECT c.value, 'normal', 240, NULL, 15 * 1440, 0 FROM (
                SELECT 'labour' AS value UNION ALL SELECT 'land' UNION ALL SELECT 'neighbour' UNION ALL SELECT 'family'
                UNION ALL SELECT 'property' UNION ALL SELECT 'consumer' UNION ALL SELECT 'traffic' UNION ALL SELECT 'debt'
                UNION ALL SELECT 'other') c;
            INSERT INTO deadline_rules
              SELECT category, 'urgent', 30, 60, 3 * 1440, 1 FROM deadline_rules WHERE priority = 'normal';
            CREATE TABLE case_settings(key TEXT PRIMARY KEY, value REAL NOT NULL);
            INSERT INTO case_settings VALUES
              ('related_distance_m', 300), ('related_window_hours', 72),
              ('group_party_threshold', 5), ('alert_dedupe_minutes', 30);
            """),
        // SpatiaLite's insert trigger indexes a case through RTreeAlign(), which formats and compiles
        // an INSERT each time: 94,000 instructions of an intake's ~750,000 (callgrind). Insert the
        // point's box directly (SQLite's R*Tree rounds outwards to 32-bit floats itself). And stamp
        // the layer's update time when a case moves, not on every status change.
        Migration(module: "cases", number: 2, sql: """
            DROP TRIGGER IF EXISTS "gii_cases_geom";
            CREATE TRIGGER "gii_cases_geom" AFTER INSERT ON "cases"
            FOR EACH ROW WHEN NEW."geom" IS NOT NULL BEGIN
            INSERT OR REPLACE INTO "idx_cases_geom"(pkid, xmin, xmax, ymin, ymax)
            VALUES (NEW.ROWID, MbrMinX(NEW."geom"), MbrMaxX(NEW."geom"), MbrMinY(NEW."geom"), MbrMaxY(NEW."geom"));
            END;
            """ + Migration.stampOnGeometryUpdate("cases")),
        // Intake speed (issue 4): SpatiaLite's triggers found the layer's metadata by scanning with
        // Lower(); the camera and related-case indexes held a NULL entry for almost every case.
        Migration(module: "cases", number: 3, sql: Migration.keyedGeometryTriggers("cases") + """
            DROP INDEX cases_camera;
            CREATE INDEX cases_camera ON cases(camera_id, alert_type, status) WHERE camera_id IS NOT NULL;
            DROP INDEX cases_related;
            CREATE INDEX cases_related ON cases(related_to) WHERE related_to IS NOT NULL;
            """),
        // SQLite's R*Tree cost a third of an intake (each insert rewrites whole 4 KB nodes). Cases are
        // points, found by box in small areas: a B-tree over a 0.01° cell key does that for the
        // price of one index entry. The store writes the key with the row; triggers put it right
        // for any other writer (they need SpatiaLite, as SpatiaLite's own do: a generated column
        // would have made the table unreadable to a plain `sqlite3`).
        Migration(module: "cases", number: 4, sql: """
            SELECT DisableSpatialIndex('cases', 'geom');
            DROP TABLE idx_cases_geom;
            ALTER TABLE cases ADD COLUMN cell INTEGER;
            UPDATE cases SET cell = \(CellKey.sql);
            CREATE INDEX cases_cell ON cases(cell);
            CREATE TRIGGER cases_cell_insert AFTER INSERT ON cases FOR EACH ROW WHEN NEW.cell IS NOT \(CellKey.sql("NEW."))
            BEGIN UPDATE cases SET cell = \(CellKey.sql) WHERE id = NEW.id; END;
            CREATE TRIGGER cases_cell_update AFTER UPDATE OF geom, cell ON cases FOR EACH ROW WHEN NEW.cell IS NOT \(CellKey.sql("NEW."))
            BEGIN UPDATE cases SET cell = \(CellKey.sql) WHERE id = NEW.id; END;
            """),
        // A camera alert's case: the grid of the pole, beside the grid it looks at (grid_id).
        Migration(module: "cases", number: 5, sql: "ALTER TABLE cases ADD COLUMN pole_grid_id TEXT;"),
        // Each case's county, for a prefecture's figures and filters.
        Migration(module: "cases", number: 6, sql: Migration.countyColumn("cases")),
        // A retried intake (a phone on a poor network) finds the case its first attempt made.
        Migration(module: "cases", number: 7, sql: """
            CREATE TABLE idempotency_keys(
              key TEXT PRIMARY KEY,
              fingerprint TEXT NOT NULL,
              case_id INTEGER NOT NULL REFERENCES cases(id),
              created_at TEXT NOT NULL);
            """),
        // The code of each case's handling unit, indexed: a town's or a village's desk reads its
        // cases by a range of it (`inArea`), not by scanning every case.
        Migration(module: "cases", number: 8, sql: "CREATE INDEX cases_unit_code ON cases(substr(unit, instr(unit, ':') + 1));"),
        // Disputes of a kind in an area — the map's commonest filter (category = … AND
        // S_INTERSECTS(…)): the cells of that category only, not every case's in the box (3 ms
        // instead of 20 over 100,000 cases).
        Migration(module: "cases", number: 9, sql: "CREATE INDEX cases_category_cell ON cases(category, cell);"),
        // Parties' numbers sealed (AES-GCM) with a keyed hash to match them across cases; the plain
        // columns stay for older rows until the first writer seals them (it has the key, SQL has
        // not), and no statement may put a plain number back.
        Migration(module: "cases", number: 10, sql: """
            ALTER TABLE case_parties ADD COLUMN phone_sealed BLOB;
            ALTER TABLE case_parties ADD COLUMN phone_match BLOB;
            ALTER TABLE case_parties ADD COLUMN id_sealed BLOB;
            ALTER TABLE case_parties ADD COLUMN id_match BLOB;
            CREATE INDEX case_parties_phone_match ON case_parties(phone_match) WHERE phone_match IS NOT NULL;
            CREATE INDEX case_parties_id_match ON case_parties(id_match) WHERE id_match IS NOT NULL;
            CREATE INDEX case_parties_plain ON case_parties(case_id) WHERE phone IS NOT NULL OR id_number IS NOT NULL;
            CREATE TRIGGER case_parties_sealed_i BEFORE INSERT ON case_parties
            WHEN NEW.phone IS NOT NULL OR NEW.id_number IS NOT NULL
            BEGIN SELECT RAISE(ABORT, 'parties'' numbers are kept sealed, never plain'); END;
            CREATE TRIGGER case_parties_sealed_u BEFORE UPDATE OF phone, id_number ON case_parties
            WHEN NEW.phone IS NOT NULL OR NEW.id_number IS NOT NULL
            BEGIN SELECT RAISE(ABORT, 'parties'' numbers are kept sealed, never plain'); END;
            CREATE TABLE party_key(id TEXT NOT NULL);
            """),
        // Letters and visits (信访) as a channel; and the provincial system's id of each imported
        // case, so that importing the same file again adds nothing.
        Migration(module: "cases", number: 11, build: { db throws(StoreError) in
            try Migration.loosenCheck("cases", from: "'camera','referral')", to: "'camera','referral','petition')")(db) + """
                CREATE TABLE case_external_ids(
                  external_id TEXT PRIMARY KEY,
                  case_id INTEGER NOT NULL REFERENCES cases(id));
                """
        }),
        // A resident's photo of a case (re-encoded, its metadata stripped), and the digest of the
        // one-time key with which the party rates the closed case.
        Migration(module: "cases", number: 12, sql: """
            CREATE TABLE case_photos(
              id INTEGER PRIMARY KEY,
              case_id INTEGER NOT NULL REFERENCES cases(id),
              content_type TEXT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
              bytes BLOB NOT NULL, created_at TEXT NOT NULL);
            CREATE INDEX case_photos_case ON case_photos(case_id);
            CREATE TABLE case_rating_keys(
              case_id INTEGER PRIMARY KEY REFERENCES cases(id),
              digest TEXT NOT NULL);
            """),
        // Mediation committees and departments' windows (`Unit`) with the categories they take and
        // route; the units called in to assist with a case (the one leading is the case's `unit`).
        Migration(module: "cases", number: 13, sql: """
            CREATE TABLE units(
              code TEXT PRIMARY KEY,
              kind TEXT NOT NULL CHECK(kind IN ('committee','department')),
              area TEXT NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL,
              categories TEXT NOT NULL, routes TEXT NOT NULL DEFAULT '');
            CREATE TABLE case_assists(
              case_id INTEGER NOT NULL REFERENCES cases(id),
              unit TEXT NOT NULL REFERENCES units(code),
              at TEXT NOT NULL,
              PRIMARY KEY(case_id, unit));
            CREATE INDEX case_assists_unit ON case_assists(unit);
            """),
        // The micro-grid a case lies in (its leader is the first to it).
        Migration(module: "cases", number: 14, sql: "ALTER TABLE cases ADD COLUMN microgrid_id TEXT;"),
    ]

    /// Works on an open connection whose schema is up to date (`SpatiaLiteBackend` checks).
    init(database: Database) {
        self.database = database
    }

    static func date(_ v: SQLValue) -> Date? { v.text.flatMap(ChinaTime.date) }
    static func value(_ d: Date?) -> SQLValue { d.map { .text(ChinaTime.text($0)) } ?? .null }

    // MARK: rules

    public func rules() throws -> CaseRules {
        var deadlines: [String: CaseRules.Deadline] = [:]
        for r in try database.prepare("SELECT category, priority, accept_minutes, arrive_minutes, resolve_minutes, auto_escalate FROM deadline_rules").rows() {
            guard let c = Case.Category(rawValue: r[0].text ?? ""), let p = Case.Priority(rawValue: r[1].text ?? "") else { continue }
            deadlines[CaseRules.key(c, p)] = CaseRules.Deadline(accept: Double(r[2].int ?? 0) * 60, arrive: r[3].int.map { Double($0) * 60 },
                                                                resolve: Double(r[4].int ?? 0) * 60, autoEscalate: r[5].int == 1)
        }
        var settings: [String: Double] = [:]
        for r in try database.prepare("SELECT key, value FROM case_settings").rows() { settings[r[0].text ?? ""] = r[1].double }
        return CaseRules(deadlines: deadlines, settings: settings)
    }

    // MARK: rows

    static let columns = """
        id, code, category, channel, priority, description, household_id, camera_id, alert_type, alert_count, snapshot_url,
        grid_id, level, unit, worker_id, status, unlocated, overdue, group_dispute, related_to,
        reported_at, accept_by, arrive_by, due_at, accepted_at, resolved_at, closed_at, rating, X(geom), Y(geom), pole_grid_id, microgrid_id
        """

    static func row(_ r: [SQLValue]) -> Case {
        Case(id: r[0].int ?? 0, code: r[1].text ?? "", category: Case.Category(rawValue: r[2].text ?? "") ?? .other,
             channel: Case.Channel(rawValue: r[3].text ?? "") ?? .window, priority: Case.Priority(rawValue: r[4].text ?? "") ?? .normal,
             description: r[5].text ?? "", position: Position(r[28].double ?? 0, r[29].double ?? 0),
             householdID: r[6].int, cameraID: r[7].text, alertType: r[8].text, alertCount: Int(r[9].int ?? 0), snapshotURL: r[10].text,
             gridCode: r[11].text, level: Case.Level(rawValue: r[12].text ?? "") ?? .grid, unit: r[13].text ?? "", workerID: r[14].int,
             status: Case.Status(rawValue: r[15].text ?? "") ?? .reported, unlocated: r[16].int == 1, overdue: r[17].int == 1,
             groupDispute: r[18].int == 1, relatedTo: r[19].int, reportedAt: date(r[20]) ?? Date(timeIntervalSince1970: 0),
             acceptBy: date(r[21]), arriveBy: date(r[22]), dueAt: date(r[23]), acceptedAt: date(r[24]), resolvedAt: date(r[25]),
             closedAt: date(r[26]), rating: r[27].int.map { Int($0) }, poleGridCode: r[30].text, microgridCode: r[31].text)
    }

    static func values(_ c: Case) -> [SQLValue] {
        [.text(c.code), .text(c.category.rawValue), .text(c.channel.rawValue), .text(c.priority.rawValue), .text(c.description),
         c.householdID.map { .integer($0) } ?? .null, c.cameraID.map { .text($0) } ?? .null, c.alertType.map { .text($0) } ?? .null,
         .integer(Int64(c.alertCount)), c.snapshotURL.map { .text($0) } ?? .null, c.gridCode.map { .text($0) } ?? .null,
         .text(c.level.rawValue), .text(c.unit), c.workerID.map { .integer($0) } ?? .null, .text(c.status.rawValue),
         .integer(c.unlocated ? 1 : 0), .integer(c.overdue ? 1 : 0), .integer(c.groupDispute ? 1 : 0),
         c.relatedTo.map { .integer($0) } ?? .null, value(c.reportedAt), value(c.acceptBy), value(c.arriveBy), value(c.dueAt),
         value(c.acceptedAt), value(c.resolvedAt), value(c.closedAt), c.rating.map { .integer(Int64($0)) } ?? .null,
         .real(c.position.lon), .real(c.position.lat), .integer(CellKey.key(c.position)), c.poleGridCode.map { .text($0) } ?? .null,
         c.microgridCode.map { .text($0) } ?? .null]
    }

    static let insertSQL = """
        INSERT INTO cases(code, category, channel, priority, description, household_id, camera_id, alert_type, alert_count, snapshot_url,
          grid_id, level, unit, worker_id, status, unlocated, overdue, group_dispute, related_to,
          reported_at, accept_by, arrive_by, due_at, accepted_at, resolved_at, closed_at, rating, geom, cell, pole_grid_id, microgrid_id)
        VALUES (\(Array(repeating: "?", count: 27).joined(separator: ", ")), MakePoint(?, ?, 4326), ?, ?, ?)
        """
    static let updateSQL = """
        UPDATE cases SET code = ?, category = ?, channel = ?, priority = ?, description = ?, household_id = ?, camera_id = ?,
          alert_type = ?, alert_count = ?, snapshot_url = ?, grid_id = ?, level = ?, unit = ?, worker_id = ?, status = ?,
          unlocated = ?, overdue = ?, group_dispute = ?, related_to = ?, reported_at = ?, accept_by = ?, arrive_by = ?, due_at = ?,
          accepted_at = ?, resolved_at = ?, closed_at = ?, rating = ?, geom = MakePoint(?, ?, 4326), cell = ?, pole_grid_id = ?, microgrid_id = ?
        WHERE id = ?
        """
    /// One INSERT for all of a change's events (an intake has two): a statement per row was a
    /// tenth of an intake.
    static func eventSQL(rows: Int) -> String {
        "INSERT INTO case_events(case_id, at, actor, source, action, from_status, to_status, unit, note) VALUES "
            + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ", ")
    }

    private func insertEvents(_ id: Int64, _ events: [CaseEvent]) throws {
        // Chunks of 8 keep the number of distinct cached statements small.
        for chunk in stride(from: 0, to: events.count, by: 8).map({ events[$0..<min($0 + 8, events.count)] }) {
            try database.prepare(Self.eventSQL(rows: chunk.count)).run(chunk.flatMap { e -> [SQLValue] in
                [.integer(id), Self.value(e.at), .text(e.actor), .text(e.source), .text(e.action),
                 e.from.map { .text($0.rawValue) } ?? .null, e.to.map { .text($0.rawValue) } ?? .null,
                 e.unit.map { .text($0) } ?? .null, e.note.map { .text($0) } ?? .null]
            })
        }
    }

    // MARK: writes (each one transaction: durable when it returns)

    /// Stores a new case with its parties and first events; returns it with its id, and the ids
    /// of its events.
    public func insert(_ c: Case, parties: [StoredParty], events: [CaseEvent]) throws -> (Case, events: ClosedRange<Int64>) {
        precondition(!events.isEmpty, "a case is stored with the event that reports it")
        return try database.transaction {
            try database.prepare(Self.insertSQL).run(Self.values(c))
            var stored = c
            stored.id = database.lastInsertRowID
            let p = try database.prepare("INSERT INTO case_parties(case_id, name, phone_sealed, phone_match, id_sealed, id_match) VALUES (?, ?, ?, ?, ?, ?)")
            for x in parties {
                try p.run([.integer(stored.id), .text(x.name)] + Self.sealed(x.phone) + Self.sealed(x.idNumber))
            }
            try insertEvents(stored.id, events)
            let last = database.lastInsertRowID   // one connection, one transaction: consecutive ids
            return (stored, (last - Int64(events.count) + 1)...last)
        }
    }

    /// Saves a changed case with the events that record the change.
    public func update(_ c: Case, events: [CaseEvent]) throws {
        try database.transaction {
            try database.prepare(Self.updateSQL).run(Self.values(c) + [.integer(c.id)])
            try insertEvents(c.id, events)
        }
    }

    // MARK: reads

    public func find(id: Int64) throws -> Case? {
        try database.prepare("SELECT \(Self.columns) FROM cases WHERE id = ?").rows([.integer(id)]).first.map(Self.row)
    }

    public func find(ids: [Int64]) throws -> [Case] {
        var out: [Case] = []
        // Chunks of 64 keep the number of distinct cached statements small.
        for chunk in stride(from: 0, to: ids.count, by: 64).map({ Array(ids[$0..<min($0 + 64, ids.count)]) }) {
            let sql = "SELECT \(Self.columns) FROM cases WHERE id IN (\(chunk.map { _ in "?" }.joined(separator: ",")))"
            out += try database.prepare(sql).rows(chunk.map { .integer($0) }).map(Self.row)
        }
        return out
    }

    public func find(code: String) throws -> Case? {
        try database.prepare("SELECT \(Self.columns) FROM cases WHERE code = ?").rows([.text(code)]).first.map(Self.row)
    }

    static func sealed(_ n: SealedNumber?) -> [SQLValue] { n.map { [.blob($0.sealed), .blob($0.match)] } ?? [.null, .null] }

    static func sealed(_ sealed: SQLValue, _ match: SQLValue) -> SealedNumber? {
        guard let s = sealed.blob, let m = match.blob else { return nil }
        return SealedNumber(sealed: s, match: m)
    }

    public func parties(caseID: Int64) throws -> [StoredParty] {
        try database.prepare("SELECT name, phone_sealed, phone_match, id_sealed, id_match FROM case_parties WHERE case_id = ? ORDER BY rowid")
            .rows([.integer(caseID)]).map { StoredParty(name: $0[0].text ?? "", phone: Self.sealed($0[1], $0[2]), idNumber: Self.sealed($0[3], $0[4])) }
    }

    public func partyMatches(caseID: Int64) throws -> [PartyMatch] {
        // One indexed join per number (an OR in the join would scan every party).
        try database.prepare("""
            WITH p AS (SELECT row_number() OVER (ORDER BY rowid) - 1 AS ord, id_match, phone_match FROM case_parties WHERE case_id = ?1)
            SELECT p.ord, q.case_id FROM p JOIN case_parties q ON q.id_match = p.id_match WHERE q.case_id <> ?1
            UNION
            SELECT p.ord, q.case_id FROM p JOIN case_parties q ON q.phone_match = p.phone_match WHERE q.case_id <> ?1
            """).rows([.integer(caseID)]).map { PartyMatch(party: Int($0[0].int ?? 0), caseID: $0[1].int ?? 0) }
    }

    public func importedIDs(among ids: [String]) throws -> Set<String> {
        var out = Set<String>()
        for chunk in stride(from: 0, to: ids.count, by: 64).map({ Array(ids[$0..<min($0 + 64, ids.count)]) }) {
            let sql = "SELECT external_id FROM case_external_ids WHERE external_id IN (\(chunk.map { _ in "?" }.joined(separator: ",")))"
            for r in try database.prepare(sql).rows(chunk.map { .text($0) }) { r[0].text.map { _ = out.insert($0) } }
        }
        return out
    }

    public func remember(externalID: String, caseID: Int64) throws {
        try database.prepare("INSERT INTO case_external_ids(external_id, case_id) VALUES (?, ?)").run([.text(externalID), .integer(caseID)])
    }

    public func attach(_ photo: CasePhoto, caseID: Int64, at: Date) throws {
        try database.prepare("INSERT INTO case_photos(case_id, content_type, width, height, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            .run([.integer(caseID), .text(photo.contentType), .integer(Int64(photo.width)), .integer(Int64(photo.height)),
                  .blob(photo.bytes), Self.value(at)])
    }

    public func photos(caseID: Int64) throws -> [CasePhoto] {
        try database.prepare("SELECT content_type, width, height, bytes FROM case_photos WHERE case_id = ? ORDER BY id").rows([.integer(caseID)]).map {
            CasePhoto(contentType: $0[0].text ?? "", width: Int($0[1].int ?? 0), height: Int($0[2].int ?? 0), bytes: $0[3].blob ?? [])
        }
    }

    public func remember(ratingKeyDigest digest: String, caseID: Int64) throws {
        try database.prepare("INSERT INTO case_rating_keys(case_id, digest) VALUES (?, ?)").run([.integer(caseID), .text(digest)])
    }

    public func ratingKeyDigest(caseID: Int64) throws -> String? {
        try database.prepare("SELECT digest FROM case_rating_keys WHERE case_id = ?").rows([.integer(caseID)]).first?[0].text
    }

    public func units() throws -> [HandlingUnit] {
        try database.prepare("SELECT kind, area, key, name, categories, routes FROM units ORDER BY code").rows().compactMap { r in
            guard let kind = HandlingUnit.Kind(rawValue: r[0].text ?? "") else { return nil }
            return HandlingUnit(kind: kind, area: r[1].text ?? "", key: r[2].text ?? "", name: r[3].text ?? "",
                        categories: HandlingUnit.categories(column: r[4].text), routes: HandlingUnit.categories(column: r[5].text))
        }
    }

    public func save(units: [HandlingUnit]) throws {
        try database.transaction {
            for u in units {
                try database.prepare("""
                    INSERT INTO units(code, kind, area, key, name, categories, routes) VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(code) DO UPDATE SET name = excluded.name, categories = excluded.categories, routes = excluded.routes
                    """)
                    .run([.text(u.code), .text(u.kind.rawValue), .text(u.area), .text(u.key), .text(u.name),
                          .text(HandlingUnit.column(u.categories)), .text(HandlingUnit.column(u.routes))])
            }
        }
    }

    public func assists(caseID: Int64) throws -> [CaseAssist] {
        try database.prepare("SELECT unit, at FROM case_assists WHERE case_id = ? ORDER BY at, unit").rows([.integer(caseID)]).map {
            CaseAssist(unit: $0[0].text ?? "", at: Self.date($0[1]) ?? Date(timeIntervalSince1970: 0))
        }
    }

    public func add(_ assist: CaseAssist, caseID: Int64) throws {
        try database.prepare("INSERT OR IGNORE INTO case_assists(case_id, unit, at) VALUES (?, ?, ?)")
            .run([.integer(caseID), .text(assist.unit), Self.value(assist.at)])
    }

    public func partyKeyID() throws -> String? {
        try database.scalar("SELECT id FROM party_key LIMIT 1").text
    }

    public func recordPartyKeyID(_ id: String) throws {
        try database.transaction {
            try database.execute("DELETE FROM party_key")
            try database.prepare("INSERT INTO party_key(id) VALUES (?)").run([.text(id)])
        }
    }

    public func plainParties(limit: Int) throws -> [PlainParty] {
        try database.prepare("""
            SELECT rowid, phone, id_number FROM case_parties WHERE phone IS NOT NULL OR id_number IS NOT NULL LIMIT ?
            """).rows([.integer(Int64(limit))]).map { PlainParty(row: $0[0].int ?? 0, phone: $0[1].text, idNumber: $0[2].text) }
    }

    public func seal(_ rows: [(row: Int64, phone: SealedNumber?, idNumber: SealedNumber?)]) throws {
        // Freed cells zeroed: the plain numbers must not linger in the file's free space.
        try database.execute("PRAGMA secure_delete = ON")
        defer { try? database.execute("PRAGMA secure_delete = OFF") }
        try database.transaction {
            let u = try database.prepare("""
                UPDATE case_parties SET phone = NULL, id_number = NULL, phone_sealed = ?, phone_match = ?, id_sealed = ?, id_match = ?
                WHERE rowid = ?
                """)
            for r in rows { try u.run(Self.sealed(r.phone) + Self.sealed(r.idNumber) + [.integer(r.row)]) }
        }
    }

    public func erasePlainRemains() throws {
        // The old page images are in the write-ahead log until it is checkpointed and truncated.
        try database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// Parties of a group of linked cases: the root and every case linked to it.
    public func groupPartyCount(root: Int64) throws -> Int {
        Int(try database.scalar("""
            SELECT count(*) FROM case_parties WHERE case_id = ?1 OR case_id IN (SELECT id FROM cases WHERE related_to = ?1)
            """, [.integer(root)]).int ?? 0)
    }

    public func idempotentCase(key: String) throws -> (caseID: Int64, fingerprint: String)? {
        try database.prepare("SELECT case_id, fingerprint FROM idempotency_keys WHERE key = ?").rows([.text(key)]).first
            .map { ($0[0].int ?? 0, $0[1].text ?? "") }
    }

    public func remember(key: String, fingerprint: String, caseID: Int64, at: Date) throws {
        try database.prepare("INSERT INTO idempotency_keys(key, fingerprint, case_id, created_at) VALUES (?, ?, ?, ?)")
            .run([.text(key), .text(fingerprint), .integer(caseID), Self.value(at)])
    }

    public func events(caseID: Int64) throws -> [CaseEvent] {
        try database.prepare("SELECT at, actor, source, action, from_status, to_status, unit, note FROM case_events WHERE case_id = ? ORDER BY id")
            .rows([.integer(caseID)]).map { Self.event($0, at: 0) }
    }

    /// An event from `at, actor, source, action, from_status, to_status, unit, note` starting at column `k`.
    static func event(_ r: [SQLValue], at k: Int) -> CaseEvent {
        CaseEvent(at: date(r[k]) ?? Date(timeIntervalSince1970: 0), actor: r[k + 1].text ?? "", source: r[k + 2].text ?? "",
                  action: r[k + 3].text ?? "", from: r[k + 4].text.flatMap(Case.Status.init), to: r[k + 5].text.flatMap(Case.Status.init),
                  unit: r[k + 6].text, note: r[k + 7].text)
    }

    /// One page of cases matching a query, newest first, with how many match in all (when asked).
    public func page(_ q: CaseQuery, count: Bool) throws -> (cases: [Case], matched: Int) {
        var sql = " FROM cases WHERE 1 = 1"
        var args: [SQLValue] = []
        if !q.statuses.isEmpty {
            sql += " AND status IN (\(q.statuses.map { _ in "?" }.joined(separator: ",")))"
            args += q.statuses.map { .text($0.rawValue) }
        }
        if let grids = q.gridCodes {
            sql += " AND grid_id IN (\(grids.map { _ in "?" }.joined(separator: ",")))"
            args += grids.map { .text($0) }
        }
        if let c = q.category { sql += " AND category = ?"; args.append(.text(c.rawValue)) }
        if !q.categories.isEmpty {
            sql += " AND category IN (\(q.categories.map { _ in "?" }.joined(separator: ",")))"
            args += q.categories.map { .text($0.rawValue) }
        }
        if let c = q.channel { sql += " AND channel = ?"; args.append(.text(c.rawValue)) }
        if let w = q.workerID { sql += " AND worker_id = ?"; args.append(.integer(w)) }
        if let o = q.overdue { sql += " AND overdue = ?"; args.append(.integer(o ? 1 : 0)) }
        if let c = q.county { sql += " AND county = ?"; args.append(.text(c)) }
        if let u = q.unit {
            sql += " AND (unit = ? OR id IN (SELECT case_id FROM case_assists WHERE unit = ?))"
            args += [.text(u), .text(u)]
        }
        if let f = q.reportedFrom { sql += " AND reported_at >= ?"; args.append(Self.value(f)) }
        if let t = q.reportedTo { sql += " AND reported_at <= ?"; args.append(Self.value(t)) }
        if let f = q.filter { sql += " AND " + (try Self.filterCondition(SpatiaLiteFilters.cases, f, &args)) }
        if let b = q.bbox {
            let ranges = CellKey.ranges(covering: b)
            sql += " AND (\(ranges.map { _ in "cell BETWEEN ? AND ?" }.joined(separator: " OR ")))"
            args += ranges.flatMap { [SQLValue.integer($0.lowerBound), .integer($0.upperBound)] }
            sql += " AND X(geom) BETWEEN ? AND ? AND Y(geom) BETWEEN ? AND ?"
            args += [.real(b.minLon), .real(b.maxLon), .real(b.minLat), .real(b.maxLat)]
        }
        // The area last: its condition is written two ways below.
        let area = q.area.map(Self.inArea)
        args += area?.1 ?? []
        let order = " ORDER BY id \(q.newestFirst ? "DESC" : "ASC")"
        let unscoped = sql
        sql += area.map { " AND " + $0.0 } ?? ""
        if count, q.filter != nil {
            // A filter's spatial functions cost GEOS calls per candidate: the matching ids once
            // (how many, and which are the page), then the page's rows by id.
            let ids = try database.prepare("SELECT id" + sql + order).rows(args).compactMap { $0[0].int }
            let page = ids.dropFirst(min(q.offset, ids.count)).prefix(q.limit)
            guard !page.isEmpty else { return ([], ids.count) }
            let rows = try database.prepare("SELECT \(Self.columns) FROM cases WHERE id IN (\(page.map { _ in "?" }.joined(separator: ",")))" + order)
                .rows(page.map { .integer($0) }).map(Self.row)
            return (rows, ids.count)
        }
        let matched = count ? Int(try database.scalar("SELECT count(*)" + sql, args).int ?? 0) : 0
        // A town's page: its cases by the unit index, sorted by id — or, when the area holds so
        // many that a walk in id order meets a page of them sooner, that walk (the `+` keeps the
        // index out). A county seat's 5,800 of 100,000 cases: 0.5 ms instead of 6.
        var page = sql
        if let area, matched > 0, let top = try database.scalar("SELECT max(id) FROM cases").int,
           Double(matched) * Double(matched) >= Double(q.offset + q.limit) * Double(top) {
            page = unscoped + " AND +" + area.0
        }
        let rows = try database.prepare("SELECT \(Self.columns)" + page + order + " LIMIT ? OFFSET ?")
            .rows(args + [.integer(Int64(q.limit)), .integer(Int64(q.offset))]).map(Self.row)
        return (rows, matched)
    }

    /// A filter's condition; a property without a column is the caller's error.
    static func filterCondition(_ sql: FilterSQL<SQLValue>, _ f: Filter, _ args: inout [SQLValue]) throws -> String {
        do { return try sql.condition(f, &args) } catch { throw StoreError(.invalid, error.reason) }
    }

    /// Case events after `id` (the server's live feed replays these by `Last-Event-ID`), oldest first.
    public func events(after id: Int64, limit: Int) throws -> [RecordedEvent] {
        try database.prepare("""
            SELECT id, case_id, at, actor, source, action, from_status, to_status, unit, note FROM case_events
            WHERE id > ? ORDER BY id LIMIT ?
            """).rows([.integer(id), .integer(Int64(limit))]).map { RecordedEvent(id: $0[0].int ?? 0, caseID: $0[1].int ?? 0, event: Self.event($0, at: 2)) }
    }

    public func openCases() throws -> [OpenCase] {
        try database.prepare("""
            SELECT id, category, related_to, X(geom), Y(geom), reported_at FROM cases WHERE status NOT IN ('resolved','closed','rated')
            """).rows().map { r in
            OpenCase(id: r[0].int ?? 0, category: Case.Category(rawValue: r[1].text ?? "") ?? .other, relatedTo: r[2].int,
                     position: Position(r[3].double ?? 0, r[4].double ?? 0), reportedAt: Self.date(r[5]) ?? Date(timeIntervalSince1970: 0))
        }
    }

    public func openAlert(cameraID: String, type: String, since: Date) throws -> Case? {
        try database.prepare("""
            SELECT \(Self.columns) FROM cases WHERE camera_id = ? AND alert_type = ? AND reported_at >= ?
              AND status NOT IN ('resolved','closed','rated') ORDER BY id DESC LIMIT 1
            """).rows([.text(cameraID), .text(type), Self.value(since)]).first.map(Self.row)
    }

    /// Open cases past a deadline and not yet flagged.
    public func newlyOverdue(now: Date) throws -> [Case] {
        let t = Self.value(now)
        return try database.prepare("""
            SELECT \(Self.columns) FROM cases WHERE overdue = 0 AND status NOT IN ('resolved','closed','rated')
              AND ((due_at IS NOT NULL AND due_at < ?) OR (status IN ('reported','assigned') AND accept_by IS NOT NULL AND accept_by < ?))
            ORDER BY id
            """).rows([t, t]).map(Self.row)
    }

    public func count() throws -> Int { Int(try database.scalar("SELECT count(*) FROM cases").int ?? 0) }
}

/// The cases' spatial key: the 0.01° cell (about 1 km) a point falls in, column by column
/// (`x · 32768 + y`), so the cells of one column are one range of keys.
enum CellKey {
    static func sql(_ row: String = "") -> String {
        "CAST((X(\(row)geom) + 180) * 100 AS INTEGER) * 32768 + CAST((Y(\(row)geom) + 90) * 100 AS INTEGER)"
    }
    static let sql = sql()
    // Clamped to the world: a box from a request (a filter's literal of 1e300°) must not trap in
    // the conversion, and no stored point lies beyond it.
    private static func column(_ lon: Double) -> Int64 { Int64((min(max(lon, -180), 180) + 180) * 100) }
    private static func row(_ lat: Double) -> Int64 { Int64((min(max(lat, -90), 90) + 90) * 100) }
    /// The same as `sql` (valid positions are positive after the shift, so truncation is floor).
    static func key(_ p: Position) -> Int64 { column(p.lon) * 32768 + row(p.lat) }

    /// Key ranges holding every point in the box (and some outside it: the caller tests the
    /// point). One cell more on each side, so rounding at a cell's edge cannot lose a point. A
    /// wide box is one range over its columns' full height rather than a long list.
    static func ranges(covering b: BoundingBox) -> [ClosedRange<Int64>] {
        let x0 = column(b.minLon) - 1, x1 = column(b.maxLon) + 1
        let y0 = row(b.minLat) - 1, y1 = row(b.maxLat) + 1
        guard x1 - x0 < 32 else { return [(x0 * 32768 + y0)...(x1 * 32768 + y1)] }
        return (x0...x1).map { x in (x * 32768 + y0)...(x * 32768 + y1) }
    }
}

extension SpatiaLiteCaseStore {
    /// Inside a publish: the open cases moved as `OpenCaseMove` says.
    func moveOpenCases(to layer: GridLayer, viewedGrids: [String: String?], version: Int, at now: Date) throws -> [Move] {
        let open = try database.prepare("""
            SELECT \(Self.columns) FROM cases WHERE status NOT IN ('resolved','closed','rated') ORDER BY id
            """).rows().map(Self.row)
        let setGrid = try database.prepare("UPDATE cases SET grid_id = ?, pole_grid_id = ? WHERE id = ?")
        var moves: [Move] = []
        for m in OpenCaseMove.moves(of: open, to: layer, viewedGrids: viewedGrids, version: version, at: now) {
            try setGrid.run([m.gridCode.map { .text($0) } ?? .null, m.poleGridCode.map { .text($0) } ?? .null, .integer(m.caseID)])
            if let e = m.event { try insertEvents(m.caseID, [e]) }
            if let move = m.move { moves.append(move) }
        }
        return moves
    }
}

extension SpatiaLiteCaseStore {
    /// `Area.holds` in SQL, and its arguments: the code after `kind:` in the unit starts with the
    /// area's (a range of the indexed expression: codes are digits, and ':' sorts right after '9'),
    /// or, for a county, arbitration and the court with a grid of the county.
    static func inArea(_ a: Area) -> (String, [SQLValue]) {
        let range = "(substr(unit, instr(unit, ':') + 1) >= ? AND substr(unit, instr(unit, ':') + 1) < ?)"
        let bounds: [SQLValue] = [.text(a.code), .text(a.code + ":")]
        guard a.code.utf8.count == 6 else { return (range, bounds) }
        return ("(\(range) OR (unit IN ('arbitration', 'court') AND substr(grid_id, 1, 6) = ?))", bounds + [.text(a.code)])
    }

    /// Figures for cases reported in [from, to), grouped; one SQL pass plus the medians.
    public func binnedCounts(_ bins: [DateInterval], category: Case.Category?, gridPrefix: String?) throws -> [BinCount] {
        guard !bins.isEmpty else { return [] }
        // The bins as a table joined by time range: one range of the reported_at index per bin.
        var args: [SQLValue] = bins.flatMap { [Self.value($0.start), Self.value($0.end)] }
        var extra = ""
        if let category { args.append(.text(category.rawValue)); extra += " AND c.category = ?" }
        if let gridPrefix { args.append(.text(gridPrefix)); extra += " AND substr(c.grid_id, 1, \(gridPrefix.utf8.count)) = ?" }
        let values = bins.indices.map { "(\($0), ?, ?)" }.joined(separator: ", ")
        return try database.prepare("""
            WITH b(k, s, e) AS (VALUES \(values))
            SELECT c.grid_id, b.k, count(*) FROM b JOIN cases c ON c.reported_at >= b.s AND c.reported_at < b.e
            WHERE c.grid_id IS NOT NULL\(extra) GROUP BY c.grid_id, b.k
            """).rows(args).map { BinCount(grid: $0[0].text ?? "", bin: Int($0[1].int ?? 0), count: Int($0[2].int ?? 0)) }
    }

    public func figures(from: Date, to: Date, by grouping: CaseGrouping, area: Area?) throws -> [CaseFigures] {
        let key: String = switch grouping {
        case .county: "coalesce(county, 'no county')"
        case .town: "coalesce(substr(grid_id, 1, 9), 'no grid')"
        case .village: "coalesce(substr(grid_id, 1, 12), 'no grid')"
        case .grid: "coalesce(grid_id, 'no grid')"
        case .category: "category"
        case .channel: "channel"
        case .unit: "unit"
        }
        let inArea = area.map(Self.inArea)
        let within = inArea.map { " AND " + $0.0 } ?? ""
        let args: [SQLValue] = [Self.value(from), Self.value(to)] + (inArea?.1 ?? [])
        var out: [String: CaseFigures] = [:]
        for r in try database.prepare("""
            SELECT \(key) AS k, count(*),
              sum(resolved_at IS NOT NULL), sum(closed_at IS NOT NULL),
              sum(resolved_at IS NOT NULL OR closed_at IS NOT NULL),
              sum(coalesce(resolved_at, closed_at) IS NOT NULL AND julianday(coalesce(resolved_at, closed_at)) <= julianday(due_at)),
              sum(status NOT IN ('resolved','closed','rated')),
              count(DISTINCT CASE WHEN status NOT IN ('resolved','closed','rated') THEN worker_id END),
              avg(rating),
              sum(channel = 'petition'), sum(level = 'court'), sum(accepted_at IS NOT NULL AND accepted_at <= accept_by),
              sum(priority = 'urgent'), sum(priority = 'urgent' AND accepted_at IS NOT NULL AND accepted_at <= arrive_by),
              sum(EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = cases.id AND e.from_status = 'resolved' AND e.to_status = 'mediating'))
            FROM cases WHERE reported_at >= ? AND reported_at < ?\(within) GROUP BY k ORDER BY k
            """).rows(args) {
            let k = r[0].text ?? ""
            var f = CaseFigures(key: k, received: Int(r[1].int ?? 0), resolved: Int(r[2].int ?? 0), closed: Int(r[3].int ?? 0),
                                finished: Int(r[4].int ?? 0), onTime: Int(r[5].int ?? 0), open: Int(r[6].int ?? 0),
                                workersWithOpenCases: Int(r[7].int ?? 0), medianHoursToClose: nil, satisfaction: r[8].double)
            (f.petitions, f.court, f.acceptedOnTime) = (Int(r[9].int ?? 0), Int(r[10].int ?? 0), Int(r[11].int ?? 0))
            (f.urgent, f.urgentArrivedOnTime, f.reopened) = (Int(r[12].int ?? 0), Int(r[13].int ?? 0), Int(r[14].int ?? 0))
            out[k] = f
        }
        var durations: [String: [Double]] = [:]
        for r in try database.prepare("""
            SELECT \(key), (julianday(closed_at) - julianday(reported_at)) * 24 FROM cases
            WHERE reported_at >= ? AND reported_at < ? AND closed_at IS NOT NULL\(within)
            """).rows(args) {
            durations[r[0].text ?? "", default: []].append(r[1].double ?? 0)
        }
        for (k, d) in durations {
            let s = d.sorted()
            out[k]?.medianHoursToClose = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        return out.values.sorted { $0.key < $1.key }
    }
}
