import Foundation
import Geo
import Grid

/// The grid layer and everything located in it, in PostGIS: geometry columns in SRID 4326 with GiST
/// indexes, so QGIS, GDAL, tipg and pg_featureserv read the same tables.
final class PostGISGridStore: GridStore {
    let db: PGConnection
    init(db: PGConnection) { self.db = db }

    /// A time as the API shows it: ISO 8601 in China Standard Time.
    static func chinaText(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"')"
    }
    static func timestamp(_ d: Date) -> PGValue { PGValue(Double(Int64(d.timeIntervalSince1970.rounded(.down)))) }

    private static func geometry(_ r: PGRow, _ k: Int, _ what: String) throws -> Geometry {
        guard let wkb = r.bytes(k) else { throw StoreError(.internal, "\(what) has no geometry") }
        return try WKB.decode(wkb)
    }

    // MARK: boundaries

    func boundaries() throws -> [Boundary] {
        try db.query("SELECT code, name, level, parent_code, ST_AsBinary(geom) FROM boundaries ORDER BY code").map { r in
            Boundary(code: r.text(0), name: r.text(1), level: Boundary.Level(rawValue: r.text(2)) ?? .village,
                     parentCode: r[3], area: try Self.geometry(r, 4, "boundary \(r.text(0))").polygons)
        }
    }

    func save(boundaries: [Boundary]) throws {
        try db.transaction {
            for b in boundaries {
                try db.query("DELETE FROM boundaries WHERE code = $1", [.text(b.code)])
                try db.query("INSERT INTO boundaries(code, name, level, parent_code, geom) VALUES ($1, $2, $3, $4, ST_GeomFromWKB($5::bytea, 4326))",
                             [.text(b.code), .text(b.name), .text(b.level.rawValue), PGValue(b.parentCode), PGValue(bytes: WKB.encode(.multiPolygon(b.area)))])
            }
        }
    }

    // MARK: grid layers (live, history, plans share one row shape)

    private static let gridColumns = "grid_id, name, kind, households, households_override, population, ST_AsBinary(geom)"
    private static let gridInsertColumns = "grid_id, name, kind, households, households_override, population, geom"

    private func gridRows(_ sql: String, _ params: [PGValue] = []) throws -> [Grid] {
        try db.query(sql, params).map { r in
            guard case .polygon(let p) = try Self.geometry(r, 6, "grid \(r.text(0))") else {
                throw StoreError(.internal, "grid \(r.text(0)) has no polygon")
            }
            return Grid(code: r.text(0), name: r.text(1), households: Int(r.int(3) ?? 0), polygon: p,
                        kind: Grid.Kind(rawValue: r.text(2)) ?? .rural, population: Int(r.int(5) ?? 0),
                        householdsOverride: r.int(4).map { Int($0) })
        }
    }

    private func gridValues(_ g: Grid) -> [PGValue] {
        [.text(g.code), .text(g.name), .text(g.kind.rawValue), PGValue(g.households), PGValue(g.householdsOverride.map { Int64($0) }),
         PGValue(g.population), PGValue(bytes: WKB.encode(.polygon(g.polygon)))]
    }

    /// `($k, …, ST_GeomFromWKB($k+6::bytea, 4326))` for the grid columns starting at parameter `k`.
    private static func gridPlaceholders(from k: Int) -> String {
        (k..<(k + 6)).map { "$\($0)" }.joined(separator: ", ") + ", ST_GeomFromWKB($\(k + 6)::bytea, 4326)"
    }

    func grids() throws -> [Grid] { try gridRows("SELECT \(Self.gridColumns) FROM grids ORDER BY grid_id") }

    func grids(version: Int) throws -> [Grid] {
        guard try db.scalar("SELECT count(*) FROM grid_versions WHERE version = $1", [PGValue(version)]) == "1" else {
            throw StoreError.notFound("no grid layer version \(version) (see `wangge grids history`)")
        }
        return try gridRows("SELECT \(Self.gridColumns) FROM grid_history WHERE version = $1 ORDER BY grid_id", [PGValue(version)])
    }

    func currentVersion() throws -> Int { Int(try db.scalar("SELECT coalesce(max(version), 0) FROM grid_versions") ?? "0") ?? 0 }

    func version(at date: Date) throws -> Int? {
        try db.scalar("SELECT version FROM grid_versions WHERE effective_at <= to_timestamp($1) ORDER BY effective_at DESC, version DESC LIMIT 1",
                      [Self.timestamp(date)]).flatMap { Int($0) }
    }

    func versions() throws -> [LayerVersion] {
        try db.query("""
            SELECT v.version, \(Self.chinaText("v.effective_at")), \(Self.chinaText("v.published_at")), v.plan_id, v.note,
                   (SELECT count(*) FROM grid_history h WHERE h.version = v.version)
            FROM grid_versions v ORDER BY v.version
            """).map { r in
            LayerVersion(version: Int(r.int(0) ?? 0), effectiveAt: r.text(1), publishedAt: r.text(2), planID: r.int(3), note: r.text(4),
                         gridCount: Int(r.int(5) ?? 0))
        }
    }

    func publish(_ grids: [Grid], note: String, planID: Int64?, effectiveAt: Date, microgrids: MicroGridReplacement?) throws -> PublishReport {
        let changes = PublishChanges(grids: grids, households: try households(), cameras: try cameras(), previous: try self.grids())
        var moves: [Move] = []
        return try db.transaction {
            // Versions and event ids follow commit order (the feed reads by them).
            try db.advisoryTransactionLock(PostGISCaseStore.commitOrderLock)
            let version = try currentVersion() + 1
            try db.query("INSERT INTO grid_versions(version, effective_at, published_at, plan_id, note) VALUES ($1, to_timestamp($2), now(), $3, $4)",
                         [PGValue(version), Self.timestamp(effectiveAt), PGValue(planID), .text(note)])
            try db.execute("DELETE FROM grids")
            for g in changes.grids {
                do {
                    try db.query("INSERT INTO grids(\(Self.gridInsertColumns)) VALUES (\(Self.gridPlaceholders(from: 1)))", gridValues(g))
                    try db.query("INSERT INTO grid_history(version, \(Self.gridInsertColumns)) VALUES ($1, \(Self.gridPlaceholders(from: 2)))",
                                 [PGValue(version)] + gridValues(g))
                } catch let e as StoreError { throw e.about("grid \(g.code)") }
            }
            func record(_ m: Move) throws {
                moves.append(m)
                try db.query("INSERT INTO grid_moves(version, item, item_id, from_grid, to_grid) VALUES ($1, $2, $3, $4, $5)",
                             [PGValue(version), .text(m.item.rawValue), .text(m.itemID), PGValue(m.from), PGValue(m.to)])
            }
            for (h, to) in changes.households {
                try db.query("UPDATE households SET grid_id = $1 WHERE id = $2", [PGValue(to), PGValue(h.id)])
                try record(changes.householdMove(h, to: to))
            }
            for (c, now) in changes.cameras {
                try db.query("UPDATE cameras SET grid_id = $1, view_grid_id = $2 WHERE id = $3", [PGValue(now.gridCode), PGValue(now.viewGridCode), .text(c.id)])
                if let m = changes.cameraMove(c, now: now) { try record(m) }
            }
            for m in try PostGISCaseStore(db: db).moveOpenCases(to: changes.layer, viewedGrids: changes.viewedGrids, version: version, at: Date()) {
                try record(m)
            }
            if let planID {
                try db.query("UPDATE plans SET status = 'published', published_version = $1 WHERE id = $2", [PGValue(version), PGValue(planID)])
            }
            if let m = microgrids { try replaceMicrogrids(ofGrids: m.grids, with: m.microgrids, leaders: []) }
            return PublishReport(version: version, moves: moves, grids: changes.grids)
        }
    }

    func moves(version: Int) throws -> [Move] {
        try db.query("SELECT item, item_id, from_grid, to_grid FROM grid_moves WHERE version = $1 ORDER BY id", [PGValue(version)]).map { r in
            Move(item: Move.Item(rawValue: r.text(0)) ?? .household, itemID: r.text(1), from: r[2], to: r[3])
        }
    }

    // MARK: households and cameras

    private static let householdColumns = "id, address, households, population, grid_id, ST_X(geom), ST_Y(geom)"
    private static func household(_ r: PGRow) -> Household {
        Household(id: r.int(0) ?? 0, address: r.text(1), households: Int(r.int(2) ?? 0), population: Int(r.int(3) ?? 0),
                  position: Position(r.double(5) ?? 0, r.double(6) ?? 0), gridCode: r[4])
    }

    func households() throws -> [Household] {
        try db.query("SELECT \(Self.householdColumns) FROM households ORDER BY id").map(Self.household)
    }

    func household(id: Int64) throws -> Household? {
        try db.query("SELECT \(Self.householdColumns) FROM households WHERE id = $1", [PGValue(id)]).first.map(Self.household)
    }

    /// The `FROM … WHERE …` of a point layer's query, and its parameters.
    private static func pointFilter(_ table: String, _ q: PointQuery) throws -> (String, [PGValue]) {
        var sql = " FROM \(table) WHERE true"
        var params: [PGValue] = []
        func p(_ v: PGValue) -> String { params.append(v); return "$\(params.count)" }
        if let id = q.id { sql += " AND id = \(p(table == "households" ? PGValue(Int64(id) ?? -1) : .text(id)))" }
        if let g = q.gridCode { sql += " AND grid_id = \(p(.text(g)))" }
        if let c = q.county { sql += " AND county = \(p(.text(c)))" }
        if let a = q.area {
            let code = p(.text(a.code))
            sql += " AND (starts_with(grid_id, \(code)::text) OR (grid_id IS NULL AND county = \(code)::text))"
        }
        if let k = q.kind { sql += " AND kind = \(p(.text(k)))" }
        if let v = q.viewGridCode { sql += " AND view_grid_id = \(p(.text(v)))" }
        if q.withView { sql += " AND azimuth IS NOT NULL" }
        if let f = q.filter {
            sql += " AND " + (try PostGISCaseStore.filterCondition(table == "households" ? PostGISFilters.households : PostGISFilters.cameras, f, &params))
        }
        if let b = q.bbox {
            sql += " AND ST_Intersects(geom, ST_MakeEnvelope(\(p(PGValue(b.minLon))), \(p(PGValue(b.minLat))), \(p(PGValue(b.maxLon))), \(p(PGValue(b.maxLat))), 4326))"
        }
        params += [PGValue(q.limit), PGValue(q.offset)]
        return (sql, params)
    }

    /// A page of a point layer: its rows and, when asked, how many match.
    private func points(_ table: String, _ columns: String, _ q: PointQuery) throws -> (rows: [PGRow], matched: Int) {
        let (sql, params) = try Self.pointFilter(table, q)
        let n = params.count
        let matched = q.count ? Int(try db.scalar("SELECT count(*)" + sql, Array(params.dropLast(2))) ?? "0") ?? 0 : 0
        return (try db.query("SELECT \(columns), county" + sql + " ORDER BY id LIMIT $\(n - 1) OFFSET $\(n)", params), matched)
    }

    func households(_ q: PointQuery) throws -> HouseholdPage {
        let (rows, matched) = try points("households", Self.householdColumns, q)
        return HouseholdPage(rows: rows.map { (Self.household($0), $0[7]) }, matched: matched)
    }

    func cameras(_ q: PointQuery) throws -> CameraPage {
        let (rows, matched) = try points("cameras", Self.cameraColumns, q)
        return CameraPage(rows: rows.map { (Self.camera($0), $0[10]) }, matched: matched)
    }

    func save(households: [Household]) throws {
        try db.transaction {
            // In batches of one statement each: 40,000 households in a few round trips.
            for chunk in stride(from: 0, to: households.count, by: 1000).map({ households[$0..<min($0 + 1000, households.count)] }) {
                try db.query("""
                    INSERT INTO households(id, address, households, population, grid_id, geom)
                    SELECT id, address, n, p, g, ST_SetSRID(ST_MakePoint(x, y), 4326)
                    FROM unnest($1::bigint[], $2::text[], $3::int[], $4::int[], $5::text[], $6::float8[], $7::float8[]) AS t(id, address, n, p, g, x, y)
                    ON CONFLICT (id) DO UPDATE SET address = EXCLUDED.address, households = EXCLUDED.households,
                      population = EXCLUDED.population, grid_id = EXCLUDED.grid_id, geom = EXCLUDED.geom
                    """, [PGArray.ints(chunk.map(\.id)), PGArray.texts(chunk.map(\.address)), PGArray.ints(chunk.map { Int64($0.households) }),
                          PGArray.ints(chunk.map { Int64($0.population) }), PGArray.texts(chunk.map(\.gridCode)),
                          PGArray.doubles(chunk.map(\.position.lon)), PGArray.doubles(chunk.map(\.position.lat))])
            }
        }
    }

    private static let cameraColumns = "id, kind, name, grid_id, ST_X(geom), ST_Y(geom), azimuth, fov, range_m, view_grid_id"

    private func cameraRows(_ sql: String, _ params: [PGValue] = []) throws -> [Camera] {
        try db.query(sql, params).map(Self.camera)
    }

    private static func camera(_ r: PGRow) -> Camera {
        // The table's checks keep the three together and in range.
        let view = r.double(6).flatMap { a in r.double(7).flatMap { f in r.double(8).flatMap { try? Camera.View(azimuth: a, fov: f, rangeM: $0) } } }
        return Camera(id: r.text(0), kind: Camera.Kind(rawValue: r.text(1)) ?? .social, name: r.text(2),
                      position: Position(r.double(4) ?? 0, r.double(5) ?? 0), gridCode: r[3], view: view, viewGridCode: r[9])
    }

    func cameras() throws -> [Camera] { try cameraRows("SELECT \(Self.cameraColumns) FROM cameras ORDER BY id") }

    func camera(id: String) throws -> Camera? {
        try cameraRows("SELECT \(Self.cameraColumns) FROM cameras WHERE id = $1", [.text(id)]).first
    }

    func save(cameras: [Camera]) throws {
        try db.transaction {
            // A thousand per statement (the demo has 8,767); on a refusal the batch is tried one by
            // one, so that the error names the camera.
            for chunk in stride(from: 0, to: cameras.count, by: 1000).map({ Array(cameras[$0..<min($0 + 1000, cameras.count)]) }) {
                do { try db.transaction { try insertCameras(chunk) } } catch let e as StoreError where chunk.count > 1 {
                    for c in chunk {
                        do { try insertCameras([c]) } catch let one as StoreError { throw one.about("camera \(c.id)") }
                    }
                    throw e
                }
            }
        }
    }

    private func insertCameras(_ cs: [Camera]) throws {
        try db.query("""
            INSERT INTO cameras(id, kind, name, grid_id, geom, azimuth, fov, range_m, view_grid_id)
            SELECT id, kind, name, g, ST_SetSRID(ST_MakePoint(x, y), 4326), a, f, r, v
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[], $7::float8[], $8::float8[], $9::float8[], $10::text[])
              AS t(id, kind, name, g, x, y, a, f, r, v)
            ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name, grid_id = EXCLUDED.grid_id,
              geom = EXCLUDED.geom, azimuth = EXCLUDED.azimuth, fov = EXCLUDED.fov, range_m = EXCLUDED.range_m,
              view_grid_id = EXCLUDED.view_grid_id
            """, [PGArray.texts(cs.map(\.id)), PGArray.texts(cs.map(\.kind.rawValue)), PGArray.texts(cs.map(\.name)), PGArray.texts(cs.map(\.gridCode)),
                  PGArray.doubles(cs.map(\.position.lon)), PGArray.doubles(cs.map(\.position.lat)),
                  PGArray.doubles(cs.map { $0.view?.azimuth }), PGArray.doubles(cs.map { $0.view?.fov }), PGArray.doubles(cs.map { $0.view?.rangeM }),
                  PGArray.texts(cs.map { $0.viewGridCode ?? $0.gridCode })])
    }

    // MARK: staff and duty

    // MARK: micro-grids

    func microgrids() throws -> [MicroGrid] {
        try db.query("SELECT microgrid_id, name, households, leader_id, ST_AsBinary(geom) FROM microgrids ORDER BY microgrid_id").map { r in
            guard case .polygon(let p) = try Self.geometry(r, 4, "micro-grid \(r.text(0))") else {
                throw StoreError(.internal, "micro-grid \(r.text(0)) has no polygon")
            }
            return MicroGrid(code: r.text(0), name: r.text(1), households: Int(r.int(2) ?? 0), leaderID: r.int(3), polygon: p)
        }
    }

    func replaceMicrogrids(ofGrids grids: Set<String>, with microgrids: [MicroGrid], leaders: [Worker]) throws {
        try db.transaction {
            for x in leaders {
                try db.query("""
                    INSERT INTO workers(id, name, role, phone) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role, phone = EXCLUDED.phone
                    """, [PGValue(x.id), .text(x.name), .text(x.role.rawValue), .text(x.phone)])
            }
            if !grids.isEmpty {
                try db.query("DELETE FROM microgrids WHERE grid_id = ANY(string_to_array($1, ','))", [.text(grids.sorted().joined(separator: ","))])
            }
            for m in microgrids {
                do {
                    try db.query("""
                        INSERT INTO microgrids(microgrid_id, grid_id, name, households, leader_id, geom)
                        VALUES ($1, $2, $3, $4, $5, ST_GeomFromWKB($6::bytea, 4326))
                        """, [.text(m.code), .text(m.gridCode), .text(m.name), PGValue(m.households), PGValue(m.leaderID),
                              PGValue(bytes: WKB.encode(.polygon(m.polygon)))])
                } catch let e as StoreError { throw e.about("micro-grid \(m.code)") }
            }
            // A leader's county: that of the micro-grid they lead (they hold no grid post).
            try db.query("UPDATE workers w SET county = m.county FROM microgrids m WHERE m.leader_id = w.id AND w.county IS NULL")
        }
    }

    func save(workers: [Worker], posts: [GridPost], shifts: [DutyShift]) throws {
        try db.transaction {
            for x in workers {
                try db.query("""
                    INSERT INTO workers(id, name, role, phone) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role, phone = EXCLUDED.phone
                    """, [PGValue(x.id), .text(x.name), .text(x.role.rawValue), .text(x.phone)])
            }
            for x in posts {
                try db.query("INSERT INTO grid_posts(grid_id, worker_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                             [.text(x.gridCode), PGValue(x.workerID), .text(x.role.rawValue)])
            }
            for x in shifts {
                do {
                    try db.query("INSERT INTO duty_shifts(grid_id, worker_id, weekday, start_minute, end_minute) VALUES ($1, $2, $3, $4, $5)",
                                 [.text(x.gridCode), PGValue(x.workerID), PGValue(x.weekday), PGValue(x.start), PGValue(x.end)])
                } catch let e as StoreError {
                    throw e.about("grid \(x.gridCode), worker \(x.workerID), weekday \(x.weekday)")
                }
            }
        }
    }

    private static func worker(_ r: PGRow, at k: Int = 0) -> Worker {
        Worker(id: r.int(k) ?? 0, name: r.text(k + 1), role: Worker.Role(rawValue: r.text(k + 2)) ?? .partTime, phone: r.text(k + 3))
    }

    func worker(id: Int64) throws -> Worker? {
        try db.query("SELECT id, name, role, phone FROM workers WHERE id = $1", [PGValue(id)]).first.map { Self.worker($0) }
    }

    func rosters() throws -> [String: DutyRoster] {
        var workers: [Int64: Worker] = [:]
        for r in try db.query("SELECT id, name, role, phone FROM workers") { let w = Self.worker(r); workers[w.id] = w }
        var leaders: [String: Worker] = [:]
        for r in try db.query("SELECT grid_id, worker_id FROM grid_posts WHERE role = 'leader'") {
            if let w = workers[r.int(1) ?? 0] { leaders[r.text(0)] = w }
        }
        var shifts: [String: [DutyShift]] = [:]
        for r in try db.query("SELECT grid_id, worker_id, weekday, start_minute, end_minute FROM duty_shifts") {
            shifts[r.text(0), default: []].append(DutyShift(gridCode: r.text(0), workerID: r.int(1) ?? 0, weekday: Int(r.int(2) ?? 0),
                                                            start: Int(r.int(3) ?? 0), end: Int(r.int(4) ?? 0)))
        }
        var out: [String: DutyRoster] = [:]
        for g in Set(leaders.keys).union(shifts.keys) {
            out[g] = DutyRoster(gridCode: g, shifts: shifts[g] ?? [], leader: leaders[g], workers: workers)
        }
        return out
    }

    func grids(ofWorker id: Int64) throws -> [String] {
        try db.query("SELECT DISTINCT grid_id FROM grid_posts WHERE worker_id = $1 ORDER BY grid_id", [PGValue(id)]).map { $0.text(0) }
    }

    func workers() throws -> [Worker] {
        try db.query("SELECT id, name, role, phone FROM workers ORDER BY id").map { Self.worker($0) }
    }

    func posts() throws -> [GridPost] {
        try db.query("SELECT grid_id, worker_id, role FROM grid_posts ORDER BY grid_id, worker_id").map {
            GridPost(gridCode: $0.text(0), workerID: $0.int(1) ?? 0, role: Worker.Role(rawValue: $0.text(2)) ?? .partTime)
        }
    }

    func roster(gridCode: String) throws -> DutyRoster {
        var workers: [Int64: Worker] = [:]
        var leader: Worker?
        for r in try db.query("""
            SELECT w.id, w.name, w.role, w.phone, p.role FROM grid_posts p JOIN workers w ON w.id = p.worker_id
            WHERE p.grid_id = $1 ORDER BY w.id
            """, [.text(gridCode)]) {
            let w = Self.worker(r)
            workers[w.id] = w
            if r[4] == Worker.Role.leader.rawValue { leader = w }
        }
        let shifts = try db.query("""
            SELECT s.worker_id, s.weekday, s.start_minute, s.end_minute, w.id, w.name, w.role, w.phone
            FROM duty_shifts s JOIN workers w ON w.id = s.worker_id WHERE s.grid_id = $1 ORDER BY s.weekday, s.start_minute
            """, [.text(gridCode)]).map { r -> DutyShift in
            let id = r.int(0) ?? 0
            if workers[id] == nil { workers[id] = Self.worker(r, at: 4) }
            return DutyShift(gridCode: gridCode, workerID: id, weekday: Int(r.int(1) ?? 0), start: Int(r.int(2) ?? 0), end: Int(r.int(3) ?? 0))
        }
        return DutyRoster(gridCode: gridCode, shifts: shifts, leader: leader, workers: workers)
    }

    // MARK: plans

    private static let planColumns = "id, name, base_version, status, \(chinaText("created_at")), published_version"
    private static func plan(_ r: PGRow) -> Plan {
        Plan(id: r.int(0) ?? 0, name: r.text(1), baseVersion: Int(r.int(2) ?? 0), status: Plan.Status(rawValue: r.text(3)) ?? .draft,
             createdAt: r.text(4), publishedVersion: r.int(5).map { Int($0) })
    }

    func createPlan(name: String, fromVersion: Int?) throws -> Plan {
        let current = try currentVersion()
        guard current > 0 else { throw StoreError.conflict("there is no live grid layer to plan from (import or build one first)") }
        let grids = try self.grids(version: fromVersion ?? current)
        let id: Int64 = try db.transaction {
            guard let id = try db.scalar("INSERT INTO plans(name, base_version, created_at) VALUES ($1, $2, now()) RETURNING id",
                                         [.text(name), PGValue(current)]).flatMap({ Int64($0) }) else {
                throw StoreError(.internal, "no plan id returned")
            }
            try insertPlanGrids(id, grids)
            return id
        }
        return try plan(id: id)
    }

    func plan(id: Int64) throws -> Plan {
        guard let r = try db.query("SELECT \(Self.planColumns) FROM plans WHERE id = $1", [PGValue(id)]).first else {
            throw StoreError.notFound("no plan \(id) (see `wangge grids plan --list`)")
        }
        return Self.plan(r)
    }

    func plans() throws -> [Plan] { try db.query("SELECT \(Self.planColumns) FROM plans ORDER BY id").map(Self.plan) }

    func planGrids(id: Int64) throws -> [Grid] {
        _ = try plan(id: id)
        return try gridRows("SELECT \(Self.gridColumns) FROM plan_grids WHERE plan_id = $1 ORDER BY grid_id", [PGValue(id)])
    }

    func savePlanGrids(id: Int64, _ grids: [Grid]) throws {
        let p = try plan(id: id)
        guard p.status == .draft else { throw StoreError.conflict("plan \(id) is \(p.status.rawValue); only a draft can change") }
        try db.transaction {
            try db.query("DELETE FROM plan_grids WHERE plan_id = $1", [PGValue(id)])
            try insertPlanGrids(id, grids)
        }
    }

    func savePlanGrids(id: Int64, changed: [Grid], removed: [String]) throws {
        let p = try plan(id: id)
        guard p.status == .draft else { throw StoreError.conflict("plan \(id) is \(p.status.rawValue); only a draft can change") }
        try db.transaction {
            try db.query("DELETE FROM plan_grids WHERE plan_id = $1 AND grid_id = ANY($2::text[])", [PGValue(id), PGArray.texts(changed.map(\.code) + removed)])
            try insertPlanGrids(id, changed)
        }
    }

    private func insertPlanGrids(_ id: Int64, _ grids: [Grid]) throws {
        for g in grids {
            do {
                try db.query("INSERT INTO plan_grids(plan_id, \(Self.gridInsertColumns)) VALUES ($1, \(Self.gridPlaceholders(from: 2)))",
                             [PGValue(id)] + gridValues(g))
            } catch let e as StoreError { throw e.about("grid \(g.code)") }
        }
    }
}

/// PostgreSQL array literals in text form, for `unnest($1::…[])` batch inserts.
enum PGArray {
    static func ints(_ v: [Int64]) -> PGValue { .text("{" + v.map(String.init).joined(separator: ",") + "}") }
    static func doubles(_ v: [Double?]) -> PGValue { .text("{" + v.map { $0?.description ?? "NULL" }.joined(separator: ",") + "}") }
    static func texts(_ v: [String?]) -> PGValue {
        .text("{" + v.map { s in
            guard let s else { return "NULL" }
            return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }.joined(separator: ",") + "}")
    }
}
