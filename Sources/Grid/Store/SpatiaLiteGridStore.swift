import Geo

/// Grids and boundaries in a SpatiaLite file: real geometry columns with R*Tree indexes, so QGIS and
/// `ogrinfo` see the `boundaries` and `grids` layers with their types and extents.
public final class SpatiaLiteGridStore: GridStore {
    public let database: Database

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
    ]

    /// Opens (creating when asked) and migrates the file.
    public init(path: String, create: Bool = true) throws {
        database = try Database(path: path, create: create)
        try database.migrate(Self.migrations)
    }

    /// Opens an existing, initialised file; a clear error otherwise (never creates one by accident).
    public static func open(path: String) throws -> SpatiaLiteGridStore {
        let db: Database
        do { db = try Database(path: path, create: false) } catch {
            throw StoreError("\(path) is not a Wangge database (run `wangge init --db \(path)` first): \(error)")
        }
        guard try db.isInitialised() else {
            throw StoreError("\(path) is not a Wangge database (run `wangge init --db \(path)` first)")
        }
        return try SpatiaLiteGridStore(path: path, create: false)
    }

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

    public func grids() throws -> [Grid] {
        try database.prepare("SELECT grid_id, name, households, AsBinary(geom) FROM grids ORDER BY grid_id")
            .rows().map { r in
                guard case .polygon(let p) = try WKB.decode(r[3].blob ?? []) else {
                    throw StoreError("grid \(r[0].text ?? "?") has no polygon")
                }
                return Grid(code: r[0].text ?? "", name: r[1].text ?? "", households: Int(r[2].int ?? 0), polygon: p)
            }
    }

    public func save(grids: [Grid], replacing: Bool) throws {
        try database.transaction {
            if replacing { try database.execute("DELETE FROM grids") }
            let ins = try database.prepare("""
                INSERT INTO grids(grid_id, name, households, geom) VALUES (?, ?, ?, GeomFromWKB(?, 4326))
                """)
            for g in grids {
                do {
                    try ins.run([.text(g.code), .text(g.name), .integer(Int64(g.households)),
                                 .blob(WKB.encode(.polygon(g.polygon)))])
                } catch {
                    throw StoreError("grid \(g.code): \(error)")
                }
            }
        }
    }
}
