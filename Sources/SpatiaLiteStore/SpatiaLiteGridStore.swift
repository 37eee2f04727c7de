import Foundation
import Geo
import Grid

/// The grid layer and everything located in it, in a SpatiaLite file. Every table with a place is a
/// real geometry layer with an R*Tree index, so QGIS and `ogrinfo` show `boundaries`, `grids`,
/// `grid_history`, `plan_grids`, `households` and `cameras`.
public final class SpatiaLiteGridStore: GridStore {
    let database: Database

    public static let migrations: [Migration] = [
        Migration(module: "grid", number: 1, sql: """
            CREATE TABLE boundaries(
              id INTEGER PRIMARY KEY,
              code TEXT NOT NULL UNIQUE,
              name TEXT NOT NULL,
              level TEXT NOT NULL CHECK(level IN ('county','town','village')),
              parent_code TEXT);
            SELECT AddGeometryColumn('boundaries', 'geom', 4326, 'MULTIPOLYGON', 'XY', 1);
            SELECT CreateSpatialIndex('boundaries', 'geom');
            CREATE TABLE grids(
              id INTEGER PRIMARY KEY,
              grid_id TEXT NOT NULL UNIQUE,
              name TEXT NOT NULL,
              households INTEGER NOT NULL CHECK(households >= 0));
            SELECT AddGeometryColumn('grids', 'geom', 4326, 'POLYGON', 'XY', 1);
            SELECT CreateSpatialIndex('grids', 'geom');
            """),
        Migration(module: "grid", number: 2, sql: """
            ALTER TABLE grids ADD COLUMN kind TEXT NOT NULL DEFAULT 'rural' CHECK(kind IN ('urban','rural','dedicated'));
            ALTER TABLE grids ADD COLUMN households_override INTEGER CHECK(households_override >= 0);
            ALTER TABLE grids ADD COLUMN population INTEGER NOT NULL DEFAULT 0;

            CREATE TABLE grid_versions(
              version INTEGER PRIMARY KEY,
              effective_at TEXT NOT NULL,
              published_at TEXT NOT NULL,
              plan_id INTEGER,
              note TEXT NOT NULL DEFAULT '');
            CREATE TABLE grid_history(
              id INTEGER PRIMARY KEY,
              version INTEGER NOT NULL REFERENCES grid_versions(version),
              grid_id TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
              households INTEGER NOT NULL, households_override INTEGER, population INTEGER NOT NULL,
              UNIQUE(version, grid_id));
            SELECT AddGeometryColumn('grid_history', 'geom', 4326, 'POLYGON', 'XY', 1);
            SELECT CreateSpatialIndex('grid_history', 'geom');
            CREATE TABLE grid_moves(
              id INTEGER PRIMARY KEY,
              version INTEGER NOT NULL REFERENCES grid_versions(version),
              item TEXT NOT NULL CHECK(item IN ('household','camera','case')),
              item_id TEXT NOT NULL, from_grid TEXT, to_grid TEXT);
            CREATE INDEX grid_moves_version ON grid_moves(version);

            CREATE TABLE plans(
              id INTEGER PRIMARY KEY,
              name TEXT NOT NULL,
              base_version INTEGER NOT NULL,
              status TEXT NOT NULL DEFAULT 'draft' CHECK(status IN ('draft','published','discarded')),
              created_at TEXT NOT NULL,
              published_version INTEGER);
            CREATE TABLE plan_grids(
              id INTEGER PRIMARY KEY,
              plan_id INTEGER NOT NULL REFERENCES plans(id),
              grid_id TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
              households INTEGER NOT NULL, households_override INTEGER, population INTEGER NOT NULL,
              UNIQUE(plan_id, grid_id));
            SELECT AddGeometryColumn('plan_grids', 'geom', 4326, 'POLYGON', 'XY', 1);
            SELECT CreateSpatialIndex('plan_grids', 'geom');

            CREATE TABLE households(
              id INTEGER PRIMARY KEY,
              address TEXT NOT NULL,
              households INTEGER NOT NULL CHECK(households > 0),
              population INTEGER NOT NULL DEFAULT 0,
              grid_id TEXT);
            SELECT AddGeometryColumn('households', 'geom', 4326, 'POINT', 'XY', 1);
            SELECT CreateSpatialIndex('households', 'geom');
            CREATE INDEX households_grid ON households(grid_id);

            CREATE TABLE cameras(
              id TEXT PRIMARY KEY,
              kind TEXT NOT NULL CHECK(kind IN ('tianwang','xueliang','face_recognition','hospital','school',
                                                'forest_fire','shipping','flood_level','social')),
              name TEXT NOT NULL,
              grid_id TEXT);
            SELECT AddGeometryColumn('cameras', 'geom', 4326, 'POINT', 'XY', 1);
            SELECT CreateSpatialIndex('cameras', 'geom');

            CREATE TABLE workers(
              id INTEGER PRIMARY KEY,
              name TEXT NOT NULL,
              role TEXT NOT NULL CHECK(role IN ('leader','full_time','part_time','police')),
              phone TEXT NOT NULL);
            CREATE TABLE grid_posts(
              grid_id TEXT NOT NULL,
              worker_id INTEGER NOT NULL REFERENCES workers(id),
              role TEXT NOT NULL CHECK(role IN ('leader','full_time','part_time','police')),
              PRIMARY KEY(grid_id, worker_id, role));
            CREATE TABLE duty_shifts(
              id INTEGER PRIMARY KEY,
              grid_id TEXT NOT NULL,
              worker_id INTEGER NOT NULL REFERENCES workers(id),
              weekday INTEGER NOT NULL CHECK(weekday BETWEEN 1 AND 7),
              start_minute INTEGER NOT NULL CHECK(start_minute >= 0),
              end_minute INTEGER NOT NULL CHECK(end_minute <= 1440),
              CHECK(start_minute < end_minute));
            CREATE INDEX duty_shifts_grid ON duty_shifts(grid_id, weekday);
            -- One answer to "who is on duty in this grid now": shifts in a grid never overlap.
            CREATE TRIGGER duty_shifts_no_overlap BEFORE INSERT ON duty_shifts
            WHEN EXISTS (SELECT 1 FROM duty_shifts s WHERE s.grid_id = NEW.grid_id AND s.weekday = NEW.weekday
                         AND s.start_minute < NEW.end_minute AND NEW.start_minute < s.end_minute)
            BEGIN SELECT RAISE(ABORT, 'duty shift overlaps another shift in the same grid'); END;
            """),
        // Households and cameras: most updates are only their grid_id on publish (40,000 rows: 0.9 s
        // of stamping).
        Migration(module: "grid", number: 3, sql: ["households", "cameras"].map(Migration.stampOnGeometryUpdate).joined(separator: "\n")),
        // Camera view areas (视域): all three parameters or none; the grid it sees most of.
        Migration(module: "grid", number: 4, sql: """
            ALTER TABLE cameras ADD COLUMN azimuth REAL CHECK(azimuth >= 0 AND azimuth < 360);
            ALTER TABLE cameras ADD COLUMN fov REAL CHECK(fov > 0 AND fov <= 360);
            ALTER TABLE cameras ADD COLUMN range_m REAL CHECK(range_m > 0 AND range_m <= 2000);
            ALTER TABLE cameras ADD COLUMN view_grid_id TEXT;
            UPDATE cameras SET view_grid_id = grid_id;
            CREATE TRIGGER cameras_view_whole_insert BEFORE INSERT ON cameras
            WHEN (NEW.azimuth IS NULL) + (NEW.fov IS NULL) + (NEW.range_m IS NULL) NOT IN (0, 3)
            BEGIN SELECT RAISE(ABORT, 'a camera view needs azimuth, fov and range_m together'); END;
            CREATE TRIGGER cameras_view_whole_update BEFORE UPDATE OF azimuth, fov, range_m ON cameras
            WHEN (NEW.azimuth IS NULL) + (NEW.fov IS NULL) + (NEW.range_m IS NULL) NOT IN (0, 3)
            BEGIN SELECT RAISE(ABORT, 'a camera view needs azimuth, fov and range_m together'); END;
            """),
        // A prefecture in one file: each household's county (collections filter by it).
        Migration(module: "grid", number: 5, sql: Migration.countyColumn("households") + Migration.countyColumn("cameras")),
        // Micro-grids (微网格), each in one grid, with its leader (微网格长) among the staff.
        Migration(module: "grid", number: 6, build: { db throws(StoreError) in
            try Migration.loosenCheck("workers", from: "'part_time','police')", to: "'part_time','police','microgrid_leader')")(db) + """
                CREATE TABLE microgrids(
                  id INTEGER PRIMARY KEY,
                  microgrid_id TEXT NOT NULL UNIQUE,
                  grid_id TEXT NOT NULL CHECK(microgrid_id = grid_id || substr(microgrid_id, -3)),
                  county TEXT NOT NULL,
                  name TEXT NOT NULL,
                  households INTEGER NOT NULL DEFAULT 0 CHECK(households >= 0),
                  leader_id INTEGER REFERENCES workers(id));
                SELECT AddGeometryColumn('microgrids', 'geom', 4326, 'POLYGON', 'XY', 1);
                SELECT CreateSpatialIndex('microgrids', 'geom');
                CREATE INDEX microgrids_grid ON microgrids(grid_id);
                CREATE INDEX microgrids_county ON microgrids(county);
                """
        }),
    ]

    /// Works on an open connection whose schema is up to date (`SpatiaLiteBackend` checks).
    init(database: Database) {
        self.database = database
    }

    /// Times as the centres read them: ISO 8601 in China Standard Time (+08:00).
    static func now(_ date: Date = Date()) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = DutyRoster.chinaStandardTime
        return f.string(from: date)
    }

    // MARK: boundaries

    public func boundaries() throws -> [Boundary] {
        try database.prepare("SELECT code, name, level, parent_code, AsBinary(geom) FROM boundaries ORDER BY code")
            .rows().map { r in
                Boundary(code: r[0].text ?? "", name: r[1].text ?? "", level: Boundary.Level(rawValue: r[2].text ?? "") ?? .village,
                         parentCode: r[3].text, area: try WKB.decode(r[4].blob ?? []).polygons)
            }
    }

    public func save(boundaries: [Boundary]) throws {
        try database.transaction {
            let del = try database.prepare("DELETE FROM boundaries WHERE code = ?")
            let ins = try database.prepare("""
                INSERT INTO boundaries(code, name, level, parent_code, geom) VALUES (?, ?, ?, ?, GeomFromWKB(?, 4326))
                """)
            for b in boundaries {
                try del.run([.text(b.code)])
                try ins.run([.text(b.code), .text(b.name), .text(b.level.rawValue),
                             b.parentCode.map { .text($0) } ?? .null, .blob(WKB.encode(.multiPolygon(b.area)))])
            }
        }
    }

    // MARK: grid layers (live, history, plans share one row shape)

    /// The geometry as stored: read in Swift (`GeometryBlob`), so reading a layer needs no SpatiaLite.
    private static let gridColumns = "grid_id, name, kind, households, households_override, population, geom"

    private func gridRows(_ sql: String, _ args: [SQLValue] = []) throws -> [Grid] {
        try database.prepare(sql).rows(args).map { r in
            let blob = r[6].blob ?? []
            let wkb = try GeometryBlob.wkb(blob) ?? database.scalar("SELECT AsBinary(?)", [.blob(blob)]).blob ?? []
            guard case .polygon(let p) = try WKB.decode(wkb) else {
                throw StoreError(.internal, "grid \(r[0].text ?? "?") has no polygon")
            }
            return Grid(code: r[0].text ?? "", name: r[1].text ?? "", households: Int(r[3].int ?? 0), polygon: p,
                        kind: Grid.Kind(rawValue: r[2].text ?? "") ?? .rural, population: Int(r[5].int ?? 0),
                        householdsOverride: r[4].int.map { Int($0) })
        }
    }

    private func gridValues(_ g: Grid) -> [SQLValue] {
        [.text(g.code), .text(g.name), .text(g.kind.rawValue), .integer(Int64(g.households)),
         g.householdsOverride.map { .integer(Int64($0)) } ?? .null, .integer(Int64(g.population)),
         .blob(WKB.encode(.polygon(g.polygon)))]
    }

    private static let gridInsertColumns = "grid_id, name, kind, households, households_override, population, geom"
    private static let gridPlaceholders = "?, ?, ?, ?, ?, ?, GeomFromWKB(?, 4326)"

    public func grids() throws -> [Grid] {
        try gridRows("SELECT \(Self.gridColumns) FROM grids ORDER BY grid_id")
    }

    public func grids(version: Int) throws -> [Grid] {
        guard try database.scalar("SELECT count(*) FROM grid_versions WHERE version = ?", [.integer(Int64(version))]).int == 1 else {
            throw StoreError.notFound("no grid layer version \(version) (see `wangge grids history`)")
        }
        return try gridRows("SELECT \(Self.gridColumns) FROM grid_history WHERE version = ? ORDER BY grid_id", [.integer(Int64(version))])
    }

    public func currentVersion() throws -> Int {
        Int(try database.scalar("SELECT coalesce(max(version), 0) FROM grid_versions").int ?? 0)
    }

    /// The version in force at a time: the latest to take effect by then (nil before the first).
    public func version(at date: Date) throws -> Int? {
        try database.scalar("""
            SELECT version FROM grid_versions WHERE julianday(effective_at) <= julianday(?)
            ORDER BY julianday(effective_at) DESC, version DESC LIMIT 1
            """, [.text(Self.now(date))]).int.map { Int($0) }
    }

    public func versions() throws -> [LayerVersion] {
        try database.prepare("""
            SELECT v.version, v.effective_at, v.published_at, v.plan_id, v.note,
                   (SELECT count(*) FROM grid_history h WHERE h.version = v.version)
            FROM grid_versions v ORDER BY v.version
            """).rows().map { r in
            LayerVersion(version: Int(r[0].int ?? 0), effectiveAt: r[1].text ?? "", publishedAt: r[2].text ?? "",
                         planID: r[3].int, note: r[4].text ?? "", gridCount: Int(r[5].int ?? 0))
        }
    }

    public func publish(_ grids: [Grid], note: String, planID: Int64?, effectiveAt: Date, microgrids: MicroGridReplacement?) throws -> PublishReport {
        let changes = PublishChanges(grids: grids, households: try households(), cameras: try cameras(), previous: try self.grids())
        var moves: [Move] = []
        return try database.transaction {
            let version = try currentVersion() + 1
            try database.prepare("INSERT INTO grid_versions(version, effective_at, published_at, plan_id, note) VALUES (?, ?, ?, ?, ?)")
                .run([.integer(Int64(version)), .text(Self.now(effectiveAt)), .text(Self.now()), planID.map { .integer($0) } ?? .null, .text(note)])
            try database.execute("DELETE FROM grids")
            let live = try database.prepare("INSERT INTO grids(\(Self.gridInsertColumns)) VALUES (\(Self.gridPlaceholders))")
            let history = try database.prepare("INSERT INTO grid_history(version, \(Self.gridInsertColumns)) VALUES (?, \(Self.gridPlaceholders))")
            for g in changes.grids {
                do {
                    try live.run(gridValues(g))
                    try history.run([.integer(Int64(version))] + gridValues(g))
                } catch let e as StoreError { throw e.about("grid \(g.code)") }
            }
            let move = try database.prepare("INSERT INTO grid_moves(version, item, item_id, from_grid, to_grid) VALUES (?, ?, ?, ?, ?)")
            func record(_ m: Move) throws {
                moves.append(m)
                try move.run([.integer(Int64(version)), .text(m.item.rawValue), .text(m.itemID),
                              m.from.map { .text($0) } ?? .null, m.to.map { .text($0) } ?? .null])
            }
            let setHousehold = try database.prepare("UPDATE households SET grid_id = ? WHERE id = ?")
            for (h, to) in changes.households {
                try setHousehold.run([to.map { .text($0) } ?? .null, .integer(h.id)])
                try record(changes.householdMove(h, to: to))
            }
            let setCamera = try database.prepare("UPDATE cameras SET grid_id = ?, view_grid_id = ? WHERE id = ?")
            for (c, now) in changes.cameras {
                try setCamera.run([now.gridCode.map { .text($0) } ?? .null, now.viewGridCode.map { .text($0) } ?? .null, .text(c.id)])
                if let m = changes.cameraMove(c, now: now) { try record(m) }
            }
            for m in try SpatiaLiteCaseStore(database: database).moveOpenCases(to: changes.layer, viewedGrids: changes.viewedGrids, version: version, at: Date()) { try record(m) }
            if let planID {
                try database.prepare("UPDATE plans SET status = 'published', published_version = ? WHERE id = ?")
                    .run([.integer(Int64(version)), .integer(planID)])
            }
            if let m = microgrids { try replaceMicrogrids(ofGrids: m.grids, with: m.microgrids, leaders: []) }
            return PublishReport(version: version, moves: moves, grids: changes.grids)
        }
    }

    public func moves(version: Int) throws -> [Move] {
        try database.prepare("SELECT item, item_id, from_grid, to_grid FROM grid_moves WHERE version = ? ORDER BY id")
            .rows([.integer(Int64(version))]).map { r in
                Move(item: Move.Item(rawValue: r[0].text ?? "") ?? .household, itemID: r[1].text ?? "", from: r[2].text, to: r[3].text)
            }
    }

    // MARK: households and cameras

    public func households() throws -> [Household] {
        try database.prepare("SELECT id, address, households, population, grid_id, X(geom), Y(geom) FROM households ORDER BY id")
            .rows().map { r in
                Household(id: r[0].int ?? 0, address: r[1].text ?? "", households: Int(r[2].int ?? 0), population: Int(r[3].int ?? 0),
                          position: Position(r[5].double ?? 0, r[6].double ?? 0), gridCode: r[4].text)
            }
    }

    public func household(id: Int64) throws -> Household? {
        try database.prepare("SELECT id, address, households, population, grid_id, X(geom), Y(geom) FROM households WHERE id = ?")
            .rows([.integer(id)]).first.map { r in
                Household(id: r[0].int ?? 0, address: r[1].text ?? "", households: Int(r[2].int ?? 0), population: Int(r[3].int ?? 0),
                          position: Position(r[5].double ?? 0, r[6].double ?? 0), gridCode: r[4].text)
            }
    }

    /// The `FROM … WHERE …` of a point layer's query, and its arguments.
    private static func pointFilter(_ table: String, _ q: PointQuery) throws -> (String, [SQLValue]) {
        var sql = " FROM \(table) WHERE 1 = 1"
        var args: [SQLValue] = []
        if let id = q.id { sql += " AND id = ?"; args.append(table == "households" ? .integer(Int64(id) ?? -1) : .text(id)) }
        if let g = q.gridCode { sql += " AND grid_id = ?"; args.append(.text(g)) }
        if let c = q.county { sql += " AND county = ?"; args.append(.text(c)) }
        if let a = q.area {
            sql += " AND (substr(grid_id, 1, ?) = ? OR (grid_id IS NULL AND county = ?))"
            args += [.integer(Int64(a.code.utf8.count)), .text(a.code), .text(a.code)]
        }
        if let k = q.kind { sql += " AND kind = ?"; args.append(.text(k)) }
        if let v = q.viewGridCode { sql += " AND view_grid_id = ?"; args.append(.text(v)) }
        if q.withView { sql += " AND azimuth IS NOT NULL" }
        if let f = q.filter {
            sql += " AND " + (try SpatiaLiteCaseStore.filterCondition(table == "households" ? SpatiaLiteFilters.households : SpatiaLiteFilters.cameras, f, &args))
        }
        if let b = q.bbox {
            // The R*Tree keys rows by ROWID (cameras' ids are text) and rounds its single-precision
            // boxes outwards; the exact test follows.
            sql += """
                 AND ROWID IN (SELECT pkid FROM idx_\(table)_geom WHERE xmin <= ? AND xmax >= ? AND ymin <= ? AND ymax >= ?)
                 AND X(geom) BETWEEN ? AND ? AND Y(geom) BETWEEN ? AND ?
                """
            args += [.real(b.maxLon), .real(b.minLon), .real(b.maxLat), .real(b.minLat), .real(b.minLon), .real(b.maxLon), .real(b.minLat), .real(b.maxLat)]
        }
        return (sql, args)
    }

    public func households(_ q: PointQuery) throws -> HouseholdPage {
        let (sql, args) = try Self.pointFilter("households", q)
        let matched = q.count ? Int(try database.scalar("SELECT count(*)" + sql, args).int ?? 0) : 0
        let rows = try database.prepare("SELECT id, address, households, population, grid_id, X(geom), Y(geom), county" + sql
                                        + " ORDER BY id LIMIT ? OFFSET ?")
            .rows(args + [.integer(Int64(q.limit)), .integer(Int64(q.offset))]).map { r in
                (Household(id: r[0].int ?? 0, address: r[1].text ?? "", households: Int(r[2].int ?? 0), population: Int(r[3].int ?? 0),
                           position: Position(r[5].double ?? 0, r[6].double ?? 0), gridCode: r[4].text), r[7].text)
            }
        return HouseholdPage(rows: rows, matched: matched)
    }

    public func cameras(_ q: PointQuery) throws -> CameraPage {
        let (sql, args) = try Self.pointFilter("cameras", q)
        let matched = q.count ? Int(try database.scalar("SELECT count(*)" + sql, args).int ?? 0) : 0
        let page = args + [.integer(Int64(q.limit)), .integer(Int64(q.offset))]
        let statement = try database.prepare("SELECT \(Self.cameraColumns), county" + sql + " ORDER BY id LIMIT ? OFFSET ?")
        return CameraPage(rows: try statement.rows(page).map { (Self.camera($0), $0[10].text) }, matched: matched)
    }

    public func save(households: [Household]) throws {
        try database.transaction {
            let ins = try database.prepare("""
                INSERT OR REPLACE INTO households(id, address, households, population, grid_id, geom)
                VALUES (?, ?, ?, ?, ?, MakePoint(?, ?, 4326))
                """)
            for h in households {
                try ins.run([.integer(h.id), .text(h.address), .integer(Int64(h.households)), .integer(Int64(h.population)),
                             h.gridCode.map { .text($0) } ?? .null, .real(h.position.lon), .real(h.position.lat)])
            }
        }
    }

    private static let cameraColumns = "id, kind, name, grid_id, X(geom), Y(geom), azimuth, fov, range_m, view_grid_id"

    private func cameraRows(_ sql: String, _ args: [SQLValue] = []) throws -> [Camera] {
        try database.prepare(sql).rows(args).map(Self.camera)
    }

    private static func camera(_ r: [SQLValue]) -> Camera {
        // The table's checks keep the three together and in range.
        let view = r[6].double.flatMap { a in r[7].double.flatMap { f in r[8].double.flatMap { try? Camera.View(azimuth: a, fov: f, rangeM: $0) } } }
        return Camera(id: r[0].text ?? "", kind: Camera.Kind(rawValue: r[1].text ?? "") ?? .social, name: r[2].text ?? "",
                      position: Position(r[4].double ?? 0, r[5].double ?? 0), gridCode: r[3].text, view: view, viewGridCode: r[9].text)
    }

    public func cameras() throws -> [Camera] {
        try cameraRows("SELECT \(Self.cameraColumns) FROM cameras ORDER BY id")
    }

    public func camera(id: String) throws -> Camera? {
        try cameraRows("SELECT \(Self.cameraColumns) FROM cameras WHERE id = ?", [.text(id)]).first
    }

    public func save(cameras: [Camera]) throws {
        try database.transaction {
            let ins = try database.prepare("""
                INSERT OR REPLACE INTO cameras(id, kind, name, grid_id, geom, azimuth, fov, range_m, view_grid_id)
                VALUES (?, ?, ?, ?, MakePoint(?, ?, 4326), ?, ?, ?, ?)
                """)
            for c in cameras {
                do {
                    try ins.run([.text(c.id), .text(c.kind.rawValue), .text(c.name), c.gridCode.map { .text($0) } ?? .null,
                                 .real(c.position.lon), .real(c.position.lat),
                                 c.view.map { .real($0.azimuth) } ?? .null, c.view.map { .real($0.fov) } ?? .null,
                                 c.view.map { .real($0.rangeM) } ?? .null, (c.viewGridCode ?? c.gridCode).map { .text($0) } ?? .null])
                } catch let e as StoreError { throw e.about("camera \(c.id)") }
            }
        }
    }

    // MARK: micro-grids

    public func microgrids() throws -> [MicroGrid] {
        try database.prepare("SELECT microgrid_id, name, households, leader_id, geom FROM microgrids ORDER BY microgrid_id").rows().map { r in
            let blob = r[4].blob ?? []
            let wkb = try GeometryBlob.wkb(blob) ?? database.scalar("SELECT AsBinary(?)", [.blob(blob)]).blob ?? []
            guard case .polygon(let p) = try WKB.decode(wkb) else { throw StoreError(.internal, "micro-grid \(r[0].text ?? "?") has no polygon") }
            return MicroGrid(code: r[0].text ?? "", name: r[1].text ?? "", households: Int(r[2].int ?? 0), leaderID: r[3].int, polygon: p)
        }
    }

    public func replaceMicrogrids(ofGrids grids: Set<String>, with microgrids: [MicroGrid], leaders: [Worker]) throws {
        try database.transaction {
            let w = try database.prepare("INSERT OR REPLACE INTO workers(id, name, role, phone) VALUES (?, ?, ?, ?)")
            for x in leaders { try w.run([.integer(x.id), .text(x.name), .text(x.role.rawValue), .text(x.phone)]) }
            let del = try database.prepare("DELETE FROM microgrids WHERE grid_id = ?")
            for g in grids.sorted() { try del.run([.text(g)]) }
            let ins = try database.prepare("""
                INSERT INTO microgrids(microgrid_id, grid_id, county, name, households, leader_id, geom)
                VALUES (?, ?, ?, ?, ?, ?, GeomFromWKB(?, 4326))
                """)
            for m in microgrids {
                do {
                    try ins.run([.text(m.code), .text(m.gridCode), .text(String(m.code.prefix(6))), .text(m.name), .integer(Int64(m.households)),
                                 m.leaderID.map { .integer($0) } ?? .null, .blob(WKB.encode(.polygon(m.polygon)))])
                } catch let e as StoreError { throw e.about("micro-grid \(m.code)") }
            }
        }
    }

    // MARK: staff and duty

    public func save(workers: [Worker], posts: [GridPost], shifts: [DutyShift]) throws {
        try database.transaction {
            let w = try database.prepare("INSERT OR REPLACE INTO workers(id, name, role, phone) VALUES (?, ?, ?, ?)")
            for x in workers { try w.run([.integer(x.id), .text(x.name), .text(x.role.rawValue), .text(x.phone)]) }
            let p = try database.prepare("INSERT OR REPLACE INTO grid_posts(grid_id, worker_id, role) VALUES (?, ?, ?)")
            for x in posts { try p.run([.text(x.gridCode), .integer(x.workerID), .text(x.role.rawValue)]) }
            let s = try database.prepare("INSERT INTO duty_shifts(grid_id, worker_id, weekday, start_minute, end_minute) VALUES (?, ?, ?, ?, ?)")
            for x in shifts {
                do {
                    try s.run([.text(x.gridCode), .integer(x.workerID), .integer(Int64(x.weekday)), .integer(Int64(x.start)), .integer(Int64(x.end))])
                } catch let e as StoreError {
                    throw e.about("grid \(x.gridCode), worker \(x.workerID), weekday \(x.weekday)")
                }
            }
        }
    }

    public func worker(id: Int64) throws -> Worker? {
        try database.prepare("SELECT id, name, role, phone FROM workers WHERE id = ?").rows([.integer(id)]).first.map { r in
            Worker(id: r[0].int ?? 0, name: r[1].text ?? "", role: Worker.Role(rawValue: r[2].text ?? "") ?? .partTime, phone: r[3].text ?? "")
        }
    }

    public func rosters() throws -> [String: DutyRoster] {
        var workers: [Int64: Worker] = [:]
        for r in try database.prepare("SELECT id, name, role, phone FROM workers").rows() {
            let w = Worker(id: r[0].int ?? 0, name: r[1].text ?? "", role: Worker.Role(rawValue: r[2].text ?? "") ?? .partTime, phone: r[3].text ?? "")
            workers[w.id] = w
        }
        var leaders: [String: Worker] = [:]
        for r in try database.prepare("SELECT grid_id, worker_id FROM grid_posts WHERE role = 'leader'").rows() {
            if let w = workers[r[1].int ?? 0] { leaders[r[0].text ?? ""] = w }
        }
        var shifts: [String: [DutyShift]] = [:]
        for r in try database.prepare("SELECT grid_id, worker_id, weekday, start_minute, end_minute FROM duty_shifts").rows() {
            let g = r[0].text ?? ""
            shifts[g, default: []].append(DutyShift(gridCode: g, workerID: r[1].int ?? 0, weekday: Int(r[2].int ?? 0),
                                                    start: Int(r[3].int ?? 0), end: Int(r[4].int ?? 0)))
        }
        var out: [String: DutyRoster] = [:]
        for g in Set(leaders.keys).union(shifts.keys) {
            out[g] = DutyRoster(gridCode: g, shifts: shifts[g] ?? [], leader: leaders[g], workers: workers)
        }
        return out
    }

    /// The grids a worker is posted to (any role).
    public func grids(ofWorker id: Int64) throws -> [String] {
        try database.prepare("SELECT DISTINCT grid_id FROM grid_posts WHERE worker_id = ? ORDER BY grid_id").rows([.integer(id)]).compactMap { $0[0].text }
    }

    public func workers() throws -> [Worker] {
        try database.prepare("SELECT id, name, role, phone FROM workers ORDER BY id").rows().map {
            Worker(id: $0[0].int ?? 0, name: $0[1].text ?? "", role: Worker.Role(rawValue: $0[2].text ?? "") ?? .partTime, phone: $0[3].text ?? "")
        }
    }

    public func posts() throws -> [GridPost] {
        try database.prepare("SELECT grid_id, worker_id, role FROM grid_posts ORDER BY grid_id, worker_id").rows().map {
            GridPost(gridCode: $0[0].text ?? "", workerID: $0[1].int ?? 0, role: Worker.Role(rawValue: $0[2].text ?? "") ?? .partTime)
        }
    }

    public func roster(gridCode: String) throws -> DutyRoster {
        let people = try database.prepare("""
            SELECT w.id, w.name, w.role, w.phone, p.role FROM grid_posts p JOIN workers w ON w.id = p.worker_id
            WHERE p.grid_id = ? ORDER BY w.id
            """).rows([.text(gridCode)])
        var workers: [Int64: Worker] = [:]
        var leader: Worker?
        for r in people {
            let w = Worker(id: r[0].int ?? 0, name: r[1].text ?? "", role: Worker.Role(rawValue: r[2].text ?? "") ?? .partTime, phone: r[3].text ?? "")
            workers[w.id] = w
            if r[4].text == Worker.Role.leader.rawValue { leader = w }
        }
        let shifts = try database.prepare("""
            SELECT s.worker_id, s.weekday, s.start_minute, s.end_minute, w.name, w.role, w.phone
            FROM duty_shifts s JOIN workers w ON w.id = s.worker_id WHERE s.grid_id = ? ORDER BY s.weekday, s.start_minute
            """).rows([.text(gridCode)]).map { r -> DutyShift in
            let id = r[0].int ?? 0
            if workers[id] == nil {
                workers[id] = Worker(id: id, name: r[4].text ?? "", role: Worker.Role(rawValue: r[5].text ?? "") ?? .partTime, phone: r[6].text ?? "")
            }
            return DutyShift(gridCode: gridCode, workerID: id, weekday: Int(r[1].int ?? 0), start: Int(r[2].int ?? 0), end: Int(r[3].int ?? 0))
        }
        return DutyRoster(gridCode: gridCode, shifts: shifts, leader: leader, workers: workers)
    }

    // MARK: plans

    private func planRow(_ r: [SQLValue]) -> Plan {
        Plan(id: r[0].int ?? 0, name: r[1].text ?? "", baseVersion: Int(r[2].int ?? 0),
             status: Plan.Status(rawValue: r[3].text ?? "") ?? .draft, createdAt: r[4].text ?? "",
             publishedVersion: r[5].int.map { Int($0) })
    }

    public func createPlan(name: String, fromVersion: Int?) throws -> Plan {
        let current = try currentVersion()
        guard current > 0 else { throw StoreError.conflict("there is no live grid layer to plan from (import or build one first)") }
        let source = fromVersion ?? current
        let grids = try self.grids(version: source)
        let id: Int64 = try database.transaction {
            try database.prepare("INSERT INTO plans(name, base_version, created_at) VALUES (?, ?, ?)")
                .run([.text(name), .integer(Int64(current)), .text(Self.now())])
            let id = database.lastInsertRowID
            try insertPlanGrids(id, grids)
            return id
        }
        return try plan(id: id)
    }

    public func plan(id: Int64) throws -> Plan {
        guard let r = try database.prepare("SELECT id, name, base_version, status, created_at, published_version FROM plans WHERE id = ?")
            .rows([.integer(id)]).first else { throw StoreError.notFound("no plan \(id) (see `wangge grids plan --list`)") }
        return planRow(r)
    }

    public func plans() throws -> [Plan] {
        try database.prepare("SELECT id, name, base_version, status, created_at, published_version FROM plans ORDER BY id").rows().map(planRow)
    }

    public func planGrids(id: Int64) throws -> [Grid] {
        _ = try plan(id: id)
        return try gridRows("SELECT \(Self.gridColumns) FROM plan_grids WHERE plan_id = ? ORDER BY grid_id", [.integer(id)])
    }

    public func savePlanGrids(id: Int64, _ grids: [Grid]) throws {
        let p = try plan(id: id)
        guard p.status == .draft else { throw StoreError.conflict("plan \(id) is \(p.status.rawValue); only a draft can change") }
        try database.transaction {
            try database.prepare("DELETE FROM plan_grids WHERE plan_id = ?").run([.integer(id)])
            try insertPlanGrids(id, grids)
        }
    }

    public func savePlanGrids(id: Int64, changed: [Grid], removed: [String]) throws {
        let p = try plan(id: id)
        guard p.status == .draft else { throw StoreError.conflict("plan \(id) is \(p.status.rawValue); only a draft can change") }
        try database.transaction {
            let delete = try database.prepare("DELETE FROM plan_grids WHERE plan_id = ? AND grid_id = ?")
            for code in changed.map(\.code) + removed { try delete.run([.integer(id), .text(code)]) }
            try insertPlanGrids(id, changed)
        }
    }

    private func insertPlanGrids(_ id: Int64, _ grids: [Grid]) throws {
        let ins = try database.prepare("INSERT INTO plan_grids(plan_id, \(Self.gridInsertColumns)) VALUES (?, \(Self.gridPlaceholders))")
        for g in grids {
            do { try ins.run([.integer(id)] + gridValues(g)) } catch let e as StoreError { throw e.about("grid \(g.code)") }
        }
    }
}
