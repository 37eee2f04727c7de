import Foundation
import Testing
import TestSupport
@testable import Geo
import Grid
@testable import SpatiaLiteStore

@Suite struct DatabaseTests {
    static let layer = Migration(module: "test", number: 1, sql: """
        CREATE TABLE places(id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        SELECT AddGeometryColumn('places', 'geom', 4326, 'POINT', 'XY', 1);
        SELECT CreateSpatialIndex('places', 'geom');
        """)

    /// The grid layer is read from SpatiaLite's own BLOBs without loading SpatiaLite (what makes
    /// `wangge assign` start 30 ms sooner), the same bytes as SpatiaLite's `AsBinary`; the first
    /// statement that needs SpatiaLite loads it.
    @Test func gridsAreReadWithoutSpatiaLiteUntilAStatementNeedsIt() throws {
        let dir = TempDir()
        let path = dir.path("g.sqlite")
        let outer = [Position(106.9, 30.8), Position(107.0, 30.8), Position(107.0, 30.9), Position(106.9, 30.9), Position(106.9, 30.8)]
        let hole = [Position(106.94, 30.84), Position(106.94, 30.86), Position(106.96, 30.86), Position(106.96, 30.84), Position(106.94, 30.84)]
        let grids = [Grid(code: "511725001001001", name: "a", households: 400, polygon: Polygon([outer, hole])),
                     Grid(code: "511725001001002", name: "b", households: 400, polygon: Polygon([hole]))]
        _ = try newDatabase(path).grids.publish(grids, note: "t", planID: nil, effectiveAt: Date())
        let db = try Database(path: path)
        #expect(try SpatiaLiteGridStore(database: db).grids().map(\.polygon) == grids.map(\.polygon))
        #expect(!db.spatialLoaded)
        for r in try db.prepare("SELECT geom, AsBinary(geom) FROM grids").rows() {
            #expect(GeometryBlob.wkb(r[0].blob ?? []) == r[1].blob)
        }
        #expect(db.spatialLoaded)
        #expect(GeometryBlob.wkb([0x00, 0x01]) == nil)
    }

    @Test func migrationsRunOnceAndLayersOpenInOgrinfo() throws {
        let dir = TempDir()
        let path = dir.path("t.sqlite")
        let db = try Database(path: path)
        try db.migrate([Self.layer])
        try db.migrate([Self.layer])   // idempotent
        #expect(try db.scalar("SELECT count(*) FROM schema_migrations").int == 1)
        #expect(try db.scalar("PRAGMA journal_mode").text == "wal")
        let ins = try db.prepare("INSERT INTO places(name, geom) VALUES (?, GeomFromWKB(?, 4326))")
        try ins.run([.text("渠县"), .blob(WKB.encode(.point(Position(106.97, 30.84))))])
        try ins.run([.text("达州"), .blob(WKB.encode(.point(Position(107.5, 31.2))))])
        // The R*Tree index is real and used by SpatiaLite.
        #expect(try db.scalar("SELECT count(*) FROM idx_places_geom WHERE xmin > 107").int == 1)

        let r = try sh("/usr/bin/ogrinfo", ["-ro", "-so", "-al", path])
        #expect(r.status == 0, "ogrinfo: \(r.err)")
        #expect(r.out.contains("Layer name: places"))
        #expect(r.out.contains("Geometry: Point"))
        #expect(r.out.contains("Feature Count: 2"))
        // The extent comes from the R*Tree, which stores float32 bounds: compare to 1e-4°.
        let extent = r.out.split(separator: "\n").first { $0.hasPrefix("Extent: ") }.map(String.init) ?? ""
        let numbers = extent.split(whereSeparator: { "(), -:".contains($0) }).compactMap { Double($0) }
        #expect(numbers.count == 4, "extent line: \(extent)")
        for (a, b) in zip(numbers, [106.97, 30.84, 107.5, 31.2]) { #expect(abs(a - b) < 1e-4) }
    }

    @Test func failedTransactionWritesNothing() throws {
        let dir = TempDir()
        let db = try Database(path: dir.path("t.sqlite"))
        try db.migrate([Self.layer])
        let ins = try db.prepare("INSERT INTO places(name, geom) VALUES (?, GeomFromWKB(?, 4326))")
        #expect(throws: StoreError.self) {
            try db.transaction {
                try ins.run([.text("a"), .blob(WKB.encode(.point(Position(1, 1))))])
                // A polygon into a POINT column: SpatiaLite's constraint refuses it.
                try ins.run([.text("b"), .blob(WKB.encode(.polygon(Polygon([[.init(0, 0), .init(1, 0), .init(1, 1), .init(0, 0)]]))))])
            }
        }
        #expect(try db.scalar("SELECT count(*) FROM places").int == 0)
    }

    @Test func wkbRoundTripsEveryType() throws {
        let poly = Polygon([[.init(0, 0), .init(1, 0), .init(1, 1), .init(0, 0)]])
        let all: [Geometry] = [
            .point(.init(1, 2)), .lineString([.init(0, 0), .init(1, 1)]), .polygon(poly),
            .multiPoint([.init(1, 2), .init(3, 4)]), .multiLineString([[.init(0, 0), .init(1, 1)]]),
            .multiPolygon([poly, poly]), .geometryCollection([.point(.init(5, 6)), .polygon(poly)]),
        ]
        for g in all { #expect(try WKB.decode(WKB.encode(g)) == g) }
        #expect(throws: WKB.DecodeError.self) { try WKB.decode([1, 3, 0, 0, 0, 255, 255, 255, 255]) }
        // SpatiaLite reads and writes the same bytes.
        let dir = TempDir()
        let db = try Database(path: dir.path("t.sqlite"))
        let back = try db.scalar("SELECT AsBinary(GeomFromWKB(?, 4326))", [.blob(WKB.encode(.polygon(poly)))])
        #expect(try WKB.decode(back.blob ?? []) == .polygon(poly))
    }

    @Test func openingAMissingFileWithoutCreateFails() {
        #expect(throws: StoreError.self) { try Database(path: "/nonexistent/dir/x.sqlite", create: false) }
    }
}
