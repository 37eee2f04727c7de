import Cases
import Foundation
import Geo
import Grid
import StoreSQL

/// Cases, their parties and events in PostGIS, on the same connection as the grids (a publish moves
/// open cases in its own transaction). `cases` is partitioned by month of report; tracking codes are
/// unique across the partitions through `case_codes`; `case_events` is append-only (triggers refuse
/// updates, deletes and truncation).
final class PostGISCaseStore: CaseStore {
    let db: PGConnection
    init(db: PGConnection) { self.db = db }

    /// Months whose partition is known to exist (committed), on this connection.
    private final class Months { var known: Set<String> = [] }
    private let months = Months()

    /// Held from the first event of a transaction to its commit, so that event ids (and layer
    /// versions) become visible in the order they were given: the feed reads "after id N" and must
    /// never find N+1 committed before N.
    static let commitOrderLock = 7_415_002

    static func time(_ d: Date?) -> PGValue { d.map { .text(ChinaTime.text($0)) } ?? .null }
    static func epoch(_ column: String) -> String { "extract(epoch FROM \(column))" }

    // MARK: rules

    func rules() throws -> CaseRules {
        var deadlines: [String: CaseRules.Deadline] = [:]
        for r in try db.query("SELECT category, priority, accept_minutes, arrive_minutes, resolve_minutes, auto_escalate FROM deadline_rules") {
            guard let c = Case.Category(rawValue: r.text(0)), let p = Case.Priority(rawValue: r.text(1)) else { continue }
            deadlines[CaseRules.key(c, p)] = CaseRules.Deadline(accept: Double(r.int(2) ?? 0) * 60, arrive: r.int(3).map { Double($0) * 60 },
                                                                resolve: Double(r.int(4) ?? 0) * 60, autoEscalate: r.bool(5))
        }
        var settings: [String: Double] = [:]
        for r in try db.query("SELECT key, value FROM case_settings") { settings[r.text(0)] = r.double(1) }
        return CaseRules(deadlines: deadlines, settings: settings)
    }

    // MARK: rows

    static let columns = """
        id, code, category, channel, priority, description, household_id, camera_id, alert_type, alert_count, snapshot_url,
        grid_id, level, unit, worker_id, status, unlocated, overdue, group_dispute, related_to,
        \(["reported_at", "accept_by", "arrive_by", "due_at", "accepted_at", "resolved_at", "closed_at"].map(epoch).joined(separator: ", ")),
        rating, ST_X(geom), ST_Y(geom), pole_grid_id, microgrid_id
        """

    static func row(_ r: PGRow) -> Case {
        Case(id: r.int(0) ?? 0, code: r.text(1), category: Case.Category(rawValue: r.text(2)) ?? .other,
             channel: Case.Channel(rawValue: r.text(3)) ?? .window, priority: Case.Priority(rawValue: r.text(4)) ?? .normal,
             description: r.text(5), position: Position(r.double(28) ?? 0, r.double(29) ?? 0),
             householdID: r.int(6), cameraID: r[7], alertType: r[8], alertCount: Int(r.int(9) ?? 0), snapshotURL: r[10],
             gridCode: r[11], level: Case.Level(rawValue: r.text(12)) ?? .grid, unit: r.text(13), workerID: r.int(14),
             status: Case.Status(rawValue: r.text(15)) ?? .reported, unlocated: r.bool(16), overdue: r.bool(17),
             groupDispute: r.bool(18), relatedTo: r.int(19), reportedAt: r.date(20) ?? Date(timeIntervalSince1970: 0),
             acceptBy: r.date(21), arriveBy: r.date(22), dueAt: r.date(23), acceptedAt: r.date(24), resolvedAt: r.date(25),
             closedAt: r.date(26), rating: r.int(27).map { Int($0) }, poleGridCode: r[30], microgridCode: r[31])
    }

    /// Parameters $2…$32 (`$1`, the id, is given separately).
    static func values(_ c: Case) -> [PGValue] {
        [.text(c.code), .text(c.category.rawValue), .text(c.channel.rawValue), .text(c.priority.rawValue), .text(c.description),
         PGValue(c.householdID), PGValue(c.cameraID), PGValue(c.alertType), PGValue(c.alertCount), PGValue(c.snapshotURL),
         PGValue(c.gridCode), .text(c.level.rawValue), .text(c.unit), PGValue(c.workerID), .text(c.status.rawValue),
         PGValue(c.unlocated), PGValue(c.overdue), PGValue(c.groupDispute), PGValue(c.relatedTo),
         time(c.reportedAt), time(c.acceptBy), time(c.arriveBy), time(c.dueAt), time(c.acceptedAt), time(c.resolvedAt), time(c.closedAt),
         PGValue(c.rating.map { Int64($0) }), PGValue(c.position.lon), PGValue(c.position.lat), PGValue(c.poleGridCode),
         PGValue(c.microgridCode)]
    }

    static let fields = """
        code, category, channel, priority, description, household_id, camera_id, alert_type, alert_count, snapshot_url,
        grid_id, level, unit, worker_id, status, unlocated, overdue, group_dispute, related_to,
        reported_at, accept_by, arrive_by, due_at, accepted_at, resolved_at, closed_at, rating, geom, pole_grid_id, microgrid_id
        """
    /// The same parameters as an insert's, `$1` the id; made once (every transition sends it).
    static let updateSQL: String = {
        let set = fields.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .enumerated().map { k, f in f == "geom" ? "geom = ST_SetSRID(ST_MakePoint($29, $30), 4326)" : "\(f) = $\(k < 28 ? k + 2 : k + 3)" }
        // With the month of report in the key, PostgreSQL plans the update on one partition
        // instead of all of them (planning it across 13 months cost more than running it).
        let reported = fields.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.firstIndex(of: "reported_at")! + 2
        return "UPDATE cases SET \(set.joined(separator: ", ")) WHERE id = $1 AND reported_at = $\(reported) RETURNING 1"
    }()

    /// `$2 … $32` in the order of `fields`, the point made from two of them.
    static let placeholders = (2...28).map { "$\($0)" }.joined(separator: ", ") + ", ST_SetSRID(ST_MakePoint($29, $30), 4326), $31, $32"

    private func insertEvents(_ id: Int64, _ events: [CaseEvent]) throws -> ClosedRange<Int64> {
        try db.advisoryTransactionLock(Self.commitOrderLock)
        let ids = try db.query("""
            INSERT INTO case_events(case_id, at, actor, source, action, from_status, to_status, unit, note)
            SELECT $1, at::timestamptz, actor, source, action, f, t, unit, note
            FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
              WITH ORDINALITY AS e(at, actor, source, action, f, t, unit, note, k)
            ORDER BY k RETURNING id
            """, [PGValue(id), PGArray.texts(events.map { ChinaTime.text($0.at) }), PGArray.texts(events.map(\.actor)),
                  PGArray.texts(events.map(\.source)), PGArray.texts(events.map(\.action)), PGArray.texts(events.map { $0.from?.rawValue }),
                  PGArray.texts(events.map { $0.to?.rawValue }), PGArray.texts(events.map(\.unit)), PGArray.texts(events.map(\.note))])
            .compactMap { $0.int(0) }
        guard let first = ids.min(), let last = ids.max() else { throw StoreError(.internal, "no event ids returned") }
        return first...last
    }

    /// The month's partition, made if it is missing. A month is asked for again until a
    /// transaction that asked has committed: a partition made inside one that was then rolled
    /// back is gone again.
    private func ensureMonth(_ d: Date) throws {
        let month = String(ChinaTime.text(d).prefix(7))
        guard !months.known.contains(month) else { return }
        try db.query("SELECT wangge_case_month($1::timestamptz)", [Self.time(d)])
        let months = months
        db.whenCommitted { months.known.insert(month) }
    }

    // MARK: writes

    func insert(_ c: Case, parties: [StoredParty], events: [CaseEvent]) throws -> (Case, events: ClosedRange<Int64>) {
        precondition(!events.isEmpty, "a case is stored with the event that reports it")
        try ensureMonth(c.reportedAt)
        return try db.transaction {
            // The code's row gives the id ($1 is the code for it); the case row takes it in the
            // same statement.
            guard let id = try db.scalar("""
                WITH code AS (INSERT INTO case_codes(code) VALUES ($1) RETURNING case_id)
                INSERT INTO cases(id, \(Self.fields)) SELECT case_id, \(Self.placeholders) FROM code RETURNING id
                """, [.text(c.code)] + Self.values(c)).flatMap({ Int64($0) }) else {
                throw StoreError(.internal, "no case id returned")
            }
            var stored = c
            stored.id = id
            for x in parties {
                try db.query("INSERT INTO case_parties(case_id, name, phone_sealed, phone_match, id_sealed, id_match) VALUES ($1, $2, $3, $4, $5, $6)",
                             [PGValue(id), .text(x.name)] + Self.sealed(x.phone) + Self.sealed(x.idNumber))
            }
            return (stored, try insertEvents(id, events))
        }
    }

    func update(_ c: Case, events: [CaseEvent]) throws {
        try db.transaction {
            guard try db.changed(Self.updateSQL, [PGValue(c.id)] + Self.values(c)) == 1 else {
                throw StoreError.notFound("no case \(c.id)")
            }
            if !events.isEmpty { _ = try insertEvents(c.id, events) }
        }
    }

    // MARK: reads

    func find(id: Int64) throws -> Case? {
        try db.query("SELECT \(Self.columns) FROM cases WHERE id = $1", [PGValue(id)]).first.map(Self.row)
    }

    func find(ids: [Int64]) throws -> [Case] {
        guard !ids.isEmpty else { return [] }
        return try db.query("SELECT \(Self.columns) FROM cases WHERE id = ANY($1::bigint[])", [PGArray.ints(ids)]).map(Self.row)
    }

    func find(code: String) throws -> Case? {
        try db.query("SELECT \(Self.columns) FROM cases WHERE code = $1", [.text(code)]).first.map(Self.row)
    }

    static func sealed(_ n: SealedNumber?) -> [PGValue] { n.map { [PGValue(bytes: $0.sealed), PGValue(bytes: $0.match)] } ?? [.null, .null] }

    static func sealed(_ r: PGRow, _ k: Int) -> SealedNumber? {
        guard let s = r.bytes(k), let m = r.bytes(k + 1) else { return nil }
        return SealedNumber(sealed: s, match: m)
    }

    func parties(caseID: Int64) throws -> [StoredParty] {
        try db.query("SELECT name, phone_sealed, phone_match, id_sealed, id_match FROM case_parties WHERE case_id = $1 ORDER BY id", [PGValue(caseID)])
            .map { StoredParty(name: $0.text(0), phone: Self.sealed($0, 1), idNumber: Self.sealed($0, 3)) }
    }

    func partyMatches(caseID: Int64) throws -> [PartyMatch] {
        try db.query("""
            WITH p AS (SELECT row_number() OVER (ORDER BY id) - 1 AS ord, id_match, phone_match FROM case_parties WHERE case_id = $1)
            SELECT p.ord, q.case_id FROM p JOIN case_parties q ON q.id_match = p.id_match WHERE q.case_id <> $1
            UNION
            SELECT p.ord, q.case_id FROM p JOIN case_parties q ON q.phone_match = p.phone_match WHERE q.case_id <> $1
            """, [PGValue(caseID)]).map { PartyMatch(party: Int($0.int(0) ?? 0), caseID: $0.int(1) ?? 0) }
    }

    func importedIDs(among ids: [String]) throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        return Set(try db.query("SELECT external_id FROM case_external_ids WHERE external_id = ANY($1::text[])", [PGArray.texts(ids)]).map { $0.text(0) })
    }

    func remember(externalID: String, caseID: Int64) throws {
        try db.query("INSERT INTO case_external_ids(external_id, case_id) VALUES ($1, $2)", [.text(externalID), PGValue(caseID)])
    }

    func attach(_ photo: CasePhoto, caseID: Int64, at: Date) throws {
        try db.query("INSERT INTO case_photos(case_id, content_type, width, height, bytes, created_at) VALUES ($1, $2, $3, $4, $5::bytea, $6::timestamptz)",
                     [PGValue(caseID), .text(photo.contentType), PGValue(photo.width), PGValue(photo.height), PGValue(bytes: photo.bytes), Self.time(at)])
    }

    func photos(caseID: Int64) throws -> [CasePhoto] {
        try db.query("SELECT content_type, width, height, bytes FROM case_photos WHERE case_id = $1 ORDER BY id", [PGValue(caseID)]).map {
            CasePhoto(contentType: $0.text(0), width: Int($0.int(1) ?? 0), height: Int($0.int(2) ?? 0), bytes: $0.bytes(3) ?? [])
        }
    }

    func remember(ratingKeyDigest digest: String, caseID: Int64) throws {
        try db.query("INSERT INTO case_rating_keys(case_id, digest) VALUES ($1, $2)", [PGValue(caseID), .text(digest)])
    }

    func ratingKeyDigest(caseID: Int64) throws -> String? {
        try db.query("SELECT digest FROM case_rating_keys WHERE case_id = $1", [PGValue(caseID)]).first.map { $0.text(0) }
    }

    func units() throws -> [HandlingUnit] {
        try db.query("SELECT kind, area, key, name, categories, routes FROM units ORDER BY code COLLATE \"C\"").compactMap { r in
            guard let kind = HandlingUnit.Kind(rawValue: r.text(0)) else { return nil }
            return HandlingUnit(kind: kind, area: r.text(1), key: r.text(2), name: r.text(3),
                        categories: HandlingUnit.categories(column: r[4]), routes: HandlingUnit.categories(column: r[5]))
        }
    }

    func save(units: [HandlingUnit]) throws {
        try db.transaction {
            for u in units {
                try db.query("""
                    INSERT INTO units(code, kind, area, key, name, categories, routes) VALUES ($1, $2, $3, $4, $5, $6, $7)
                    ON CONFLICT(code) DO UPDATE SET name = excluded.name, categories = excluded.categories, routes = excluded.routes
                    """, [.text(u.code), .text(u.kind.rawValue), .text(u.area), .text(u.key), .text(u.name),
                          .text(HandlingUnit.column(u.categories)), .text(HandlingUnit.column(u.routes))])
            }
        }
    }

    func assists(caseID: Int64) throws -> [CaseAssist] {
        try db.query("SELECT unit, \(Self.epoch("at")) FROM case_assists WHERE case_id = $1 ORDER BY at, unit", [PGValue(caseID)]).map {
            CaseAssist(unit: $0.text(0), at: $0.date(1) ?? Date(timeIntervalSince1970: 0))
        }
    }

    func add(_ assist: CaseAssist, caseID: Int64) throws {
        try db.query("INSERT INTO case_assists(case_id, unit, at) VALUES ($1, $2, $3::timestamptz) ON CONFLICT DO NOTHING",
                     [PGValue(caseID), .text(assist.unit), Self.time(assist.at)])
    }

    func partyKeyID() throws -> String? {
        try db.scalar("SELECT id FROM party_key LIMIT 1")
    }

    func recordPartyKeyID(_ id: String) throws {
        try db.transaction {
            try db.execute("DELETE FROM party_key")
            try db.query("INSERT INTO party_key(id) VALUES ($1)", [.text(id)])
        }
    }

    func plainParties(limit: Int) throws -> [PlainParty] {
        try db.query("SELECT id, phone, id_number FROM case_parties WHERE phone IS NOT NULL OR id_number IS NOT NULL LIMIT $1", [PGValue(limit)])
            .map { PlainParty(row: $0.int(0) ?? 0, phone: $0[1], idNumber: $0[2]) }
    }

    func seal(_ rows: [(row: Int64, phone: SealedNumber?, idNumber: SealedNumber?)]) throws {
        try db.transaction {
            for r in rows {
                try db.query("""
                    UPDATE case_parties SET phone = NULL, id_number = NULL, phone_sealed = $1, phone_match = $2, id_sealed = $3, id_match = $4
                    WHERE id = $5
                    """, Self.sealed(r.phone) + Self.sealed(r.idNumber) + [PGValue(r.row)])
            }
        }
    }

    func erasePlainRemains() throws {
        // The old row versions stay in the table's pages until the table is rewritten.
        try db.execute("VACUUM FULL case_parties")
    }

    func groupPartyCount(root: Int64) throws -> Int {
        // Two indexed counts: with `OR` PostgreSQL scanned every party of every case.
        Int(try db.scalar("""
            SELECT (SELECT count(*) FROM case_parties WHERE case_id = $1)
                 + (SELECT count(*) FROM case_parties p JOIN cases c ON c.id = p.case_id WHERE c.related_to = $1)
            """, [PGValue(root)]) ?? "0") ?? 0
    }

    func idempotentCase(key: String) throws -> (caseID: Int64, fingerprint: String)? {
        try db.query("SELECT case_id, fingerprint FROM idempotency_keys WHERE key = $1", [.text(key)]).first
            .map { ($0.int(0) ?? 0, $0.text(1)) }
    }

    func remember(key: String, fingerprint: String, caseID: Int64, at: Date) throws {
        try db.query("INSERT INTO idempotency_keys(key, fingerprint, case_id, created_at) VALUES ($1, $2, $3, $4::timestamptz)",
                     [.text(key), .text(fingerprint), PGValue(caseID), Self.time(at)])
    }

    private static let eventColumns = "\(epoch("at")), actor, source, action, from_status, to_status, unit, note"
    static func event(_ r: PGRow, at k: Int) -> CaseEvent {
        CaseEvent(at: r.date(k) ?? Date(timeIntervalSince1970: 0), actor: r.text(k + 1), source: r.text(k + 2), action: r.text(k + 3),
                  from: r[k + 4].flatMap(Case.Status.init), to: r[k + 5].flatMap(Case.Status.init), unit: r[k + 6], note: r[k + 7])
    }

    func events(caseID: Int64) throws -> [CaseEvent] {
        try db.query("SELECT \(Self.eventColumns) FROM case_events WHERE case_id = $1 ORDER BY id", [PGValue(caseID)]).map { Self.event($0, at: 0) }
    }

    func page(_ q: CaseQuery, count: Bool) throws -> (cases: [Case], matched: Int) {
        var sql = " FROM cases WHERE true"
        var params: [PGValue] = []
        func p(_ v: PGValue) -> String { params.append(v); return "$\(params.count)" }
        if !q.statuses.isEmpty { sql += " AND status = ANY(\(p(PGArray.texts(q.statuses.map(\.rawValue))))::text[])" }
        if let grids = q.gridCodes { sql += " AND grid_id = ANY(\(p(PGArray.texts(grids)))::text[])" }
        if let c = q.category { sql += " AND category = \(p(.text(c.rawValue)))" }
        if !q.categories.isEmpty { sql += " AND category = ANY(\(p(PGArray.texts(q.categories.map(\.rawValue))))::text[])" }
        if let c = q.channel { sql += " AND channel = \(p(.text(c.rawValue)))" }
        if let w = q.workerID { sql += " AND worker_id = \(p(PGValue(w)))" }
        if let o = q.overdue { sql += " AND overdue = \(p(PGValue(o)))" }
        if let c = q.county { sql += " AND county = \(p(.text(c)))" }
        if let u = q.unit {
            let v = p(.text(u))
            sql += " AND (unit = \(v) OR id IN (SELECT case_id FROM case_assists WHERE unit = \(v)))"
        }
        if let a = q.area { sql += " AND " + Self.inArea(a, p) }
        if let f = q.reportedFrom { sql += " AND reported_at >= \(p(Self.time(f)))::timestamptz" }
        if let t = q.reportedTo { sql += " AND reported_at <= \(p(Self.time(t)))::timestamptz" }
        if let f = q.filter { sql += " AND " + (try Self.filterCondition(PostGISFilters.cases, f, &params)) }
        if let b = q.bbox {
            // Not `&&` alone: the index compares single-precision boxes, which take in points up to
            // a metre outside. ST_Intersects uses the index and then the exact coordinates.
            sql += " AND ST_Intersects(geom, ST_MakeEnvelope(\(p(PGValue(b.minLon))), \(p(PGValue(b.minLat))), \(p(PGValue(b.maxLon))), \(p(PGValue(b.maxLat))), 4326))"
        }
        let direction = " ORDER BY id \(q.newestFirst ? "DESC" : "ASC")"
        if count, q.filter != nil {
            // A filter's spatial functions cost GEOS calls per candidate: the matching ids once
            // (how many, and which are the page), then the page's rows by id.
            let ids = try db.query("SELECT id" + sql + direction, params).compactMap { $0.int(0) }
            let page = Array(ids.dropFirst(min(q.offset, ids.count)).prefix(q.limit))
            guard !page.isEmpty else { return ([], ids.count) }
            let rows = try db.query("SELECT \(Self.columns) FROM cases WHERE id = ANY($1::bigint[])" + direction,
                                    [PGArray.ints(page)]).map(Self.row)
            return (rows, ids.count)
        }
        let matched = count ? Int(try db.scalar("SELECT count(*)" + sql, params) ?? "0") ?? 0 : 0
        let order = direction + " LIMIT \(p(PGValue(q.limit))) OFFSET \(p(PGValue(q.offset)))"
        return (try db.query("SELECT \(Self.columns)" + sql + order, params).map(Self.row), matched)
    }

    /// A filter's condition; a property without a column is the caller's error.
    static func filterCondition(_ sql: FilterSQL<PGValue>, _ f: Filter, _ params: inout [PGValue]) throws -> String {
        do { return try sql.condition(f, &params) } catch { throw StoreError(.invalid, error.reason) }
    }

    func events(after id: Int64, limit: Int) throws -> [RecordedEvent] {
        try db.query("SELECT id, case_id, \(Self.eventColumns) FROM case_events WHERE id > $1 ORDER BY id LIMIT $2", [PGValue(id), PGValue(limit)])
            .map { RecordedEvent(id: $0.int(0) ?? 0, caseID: $0.int(1) ?? 0, event: Self.event($0, at: 2)) }
    }

    private static let open = "status NOT IN ('resolved','closed','rated')"

    func openCases() throws -> [OpenCase] {
        try db.query("SELECT id, category, related_to, ST_X(geom), ST_Y(geom), \(Self.epoch("reported_at")) FROM cases WHERE \(Self.open)").map { r in
            OpenCase(id: r.int(0) ?? 0, category: Case.Category(rawValue: r.text(1)) ?? .other, relatedTo: r.int(2),
                     position: Position(r.double(3) ?? 0, r.double(4) ?? 0), reportedAt: r.date(5) ?? Date(timeIntervalSince1970: 0))
        }
    }

    func openAlert(cameraID: String, type: String, since: Date) throws -> Case? {
        try db.query("""
            SELECT \(Self.columns) FROM cases WHERE camera_id = $1 AND alert_type = $2 AND reported_at >= $3::timestamptz AND \(Self.open)
            ORDER BY id DESC LIMIT 1
            """, [.text(cameraID), .text(type), Self.time(since)]).first.map(Self.row)
    }

    func newlyOverdue(now: Date) throws -> [Case] {
        try db.query("""
            SELECT \(Self.columns) FROM cases WHERE NOT overdue AND \(Self.open)
              AND ((due_at IS NOT NULL AND due_at < $1::timestamptz) OR (status IN ('reported','assigned') AND accept_by IS NOT NULL AND accept_by < $1::timestamptz))
            ORDER BY id
            """, [Self.time(now)]).map(Self.row)
    }

    func count() throws -> Int { Int(try db.scalar("SELECT count(*) FROM cases") ?? "0") ?? 0 }

    /// Inside a publish: the open cases moved as `OpenCaseMove` says.
    func moveOpenCases(to layer: GridLayer, viewedGrids: [String: String?], version: Int, at now: Date) throws -> [Move] {
        let open = try db.query("SELECT \(Self.columns) FROM cases WHERE \(Self.open) ORDER BY id").map(Self.row)
        var moves: [Move] = []
        for m in OpenCaseMove.moves(of: open, to: layer, viewedGrids: viewedGrids, version: version, at: now) {
            try db.query("UPDATE cases SET grid_id = $1, pole_grid_id = $2 WHERE id = $3", [PGValue(m.gridCode), PGValue(m.poleGridCode), PGValue(m.caseID)])
            if let e = m.event { _ = try insertEvents(m.caseID, [e]) }
            if let move = m.move { moves.append(move) }
        }
        return moves
    }

    /// `Area.holds` in SQL, with `p` adding parameters: the code after `kind:` in the unit starts
    /// with the area's (a byte-order range of the indexed expression: codes are digits, and ':'
    /// sorts right after '9'), or, for a county, arbitration and the court with a grid of the county.
    static func inArea(_ a: Area, _ p: (PGValue) -> String) -> String {
        let code = #"(split_part(unit, ':', 2) COLLATE "C")"#
        let range = "(\(code) >= \(p(.text(a.code))) AND \(code) < \(p(.text(a.code + ":"))))"
        guard a.code.utf8.count == 6 else { return range }
        return "(\(range) OR (unit IN ('arbitration', 'court') AND left(grid_id, 6) = \(p(.text(a.code)))))"
    }

    func binnedCounts(_ bins: [DateInterval], category: Case.Category?, gridPrefix: String?) throws -> [BinCount] {
        guard !bins.isEmpty else { return [] }
        var args: [PGValue] = [PGArray.texts(bins.map { ChinaTime.text($0.start) }), PGArray.texts(bins.map { ChinaTime.text($0.end) })]
        var extra = ""
        if let category { args.append(.text(category.rawValue)); extra += " AND c.category = $\(args.count)" }
        if let gridPrefix { args.append(.text(gridPrefix)); extra += " AND left(c.grid_id, \(gridPrefix.utf8.count)) = $\(args.count)" }
        return try db.query("""
            SELECT c.grid_id, b.k - 1, count(*)
            FROM unnest($1::timestamptz[], $2::timestamptz[]) WITH ORDINALITY AS b(s, e, k)
            JOIN cases c ON c.reported_at >= b.s AND c.reported_at < b.e
            WHERE c.grid_id IS NOT NULL\(extra) GROUP BY c.grid_id, b.k
            """, args).map { BinCount(grid: $0.text(0), bin: Int($0.int(1) ?? 0), count: Int($0.int(2) ?? 0)) }
    }

    func figures(from: Date, to: Date, by grouping: CaseGrouping, area: Area?) throws -> [CaseFigures] {
        let key: String = switch grouping {
        case .county: "coalesce(county, 'no county')"
        case .town: "coalesce(left(grid_id, 9), 'no grid')"
        case .village: "coalesce(left(grid_id, 12), 'no grid')"
        case .grid: "coalesce(grid_id, 'no grid')"
        case .category: "category"
        case .channel: "channel"
        case .unit: "unit"
        }
        var range: [PGValue] = [Self.time(from), Self.time(to)]
        let within = area.map { a in " AND " + Self.inArea(a) { range.append($0); return "$\(range.count)" } } ?? ""
        var out: [String: CaseFigures] = [:]
        for r in try db.query("""
            SELECT \(key) AS k, count(*),
              count(resolved_at), count(closed_at), count(coalesce(resolved_at, closed_at)),
              count(*) FILTER (WHERE coalesce(resolved_at, closed_at) <= due_at),
              count(*) FILTER (WHERE \(Self.open)),
              count(DISTINCT worker_id) FILTER (WHERE \(Self.open)),
              avg(rating)::float8,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - reported_at) / 3600)
                FILTER (WHERE closed_at IS NOT NULL),
              count(*) FILTER (WHERE channel = 'petition'), count(*) FILTER (WHERE level = 'court'),
              count(*) FILTER (WHERE accepted_at <= accept_by),
              count(*) FILTER (WHERE priority = 'urgent'), count(*) FILTER (WHERE priority = 'urgent' AND accepted_at <= arrive_by),
              count(*) FILTER (WHERE EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = cases.id AND e.from_status = 'resolved' AND e.to_status = 'mediating'))
            FROM cases WHERE reported_at >= $1::timestamptz AND reported_at < $2::timestamptz\(within) GROUP BY k ORDER BY k
            """, range) {
            let k = r.text(0)
            var f = CaseFigures(key: k, received: Int(r.int(1) ?? 0), resolved: Int(r.int(2) ?? 0), closed: Int(r.int(3) ?? 0),
                                finished: Int(r.int(4) ?? 0), onTime: Int(r.int(5) ?? 0), open: Int(r.int(6) ?? 0),
                                workersWithOpenCases: Int(r.int(7) ?? 0), medianHoursToClose: r.double(9), satisfaction: r.double(8))
            (f.petitions, f.court, f.acceptedOnTime) = (Int(r.int(10) ?? 0), Int(r.int(11) ?? 0), Int(r.int(12) ?? 0))
            (f.urgent, f.urgentArrivedOnTime, f.reopened) = (Int(r.int(13) ?? 0), Int(r.int(14) ?? 0), Int(r.int(15) ?? 0))
            out[k] = f
        }
        return out.values.sorted { $0.key < $1.key }
    }
}
