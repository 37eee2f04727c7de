import Cases
import Foundation
import Grid
import Geo
import PostGISStore
import SpatiaLiteStore

/// Helpers shared by the test targets: temporary directories, running programs, the repository.

/// A temporary directory, removed when the value goes away: keep it alive while files are used.
public final class TempDir {
    public let url: URL
    public init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("wangge-test-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    /// Writes a file and returns its path.
    public func write(_ name: String, _ text: String) -> String {
        FileManager.default.createFile(atPath: path(name), contents: Data(text.utf8))
        return path(name)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The repository's root (tests read the real data under `data/`).
public let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The real Qu County boundary file (GCJ-02 GeoJSON).
public func quCountyBytes() throws -> [UInt8] {
    [UInt8](try Data(contentsOf: repoRoot.appendingPathComponent("data/boundaries/511725.geojson")))
}

/// Runs a program in the repository's root and returns its exit status, stdout and stderr.
@discardableResult
public func sh(_ executable: String, _ args: [String], stdin: String = "") throws -> (status: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = args
    p.currentDirectoryURL = repoRoot
    let out = Pipe(), err = Pipe(), input = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = input
    try p.run()
    input.fileHandleForWriting.write(Data(stdin.utf8))
    try input.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// A small demo county from the real Qu County boundary: a tenth of the households in `towns` towns.
public func tinyDemoCounty(seed: UInt64, towns: Int) -> (county: Boundary, result: DemoCounty.Result) {
    let county = try! BoundaryImporter(crs: .gcj02).boundaries(from: try! quCountyBytes())[0]
    var demo = DemoCounty(county: county, seed: seed).scaled(by: 0.1)
    demo.townCount = towns
    return (county, try! demo.build())
}

/// The two backends every store, dispatch and server test runs on.
public enum StoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case spatialite, postgis
    public var description: String { rawValue }

    /// A location for a new database: a file in `dir`, or a new database in the test cluster.
    public func newLocation(in dir: TempDir, _ name: String = "c.sqlite") -> String {
        switch self {
        case .spatialite: dir.path(name)
        case .postgis: PostgresCluster.shared.newDatabase()
        }
    }
}

/// The backend `--db` would pick for a location.
public func backend(_ location: String) -> any StoreBackend {
    PostGISBackend.accepts(location) ? PostGISBackend(url: location) : SpatiaLiteBackend(path: location)
}

/// A new, migrated database at `location` (a SpatiaLite path or a PostGIS URL), and a command
/// connection to it.
public func newDatabase(_ location: String) throws -> any StoreConnection {
    let b = backend(location)
    _ = try b.migrate(create: true)
    return try b.connect(.command)
}

/// Another connection to an existing database.
public func connect(_ location: String, _ role: ConnectionRole = .command) throws -> any StoreConnection {
    try backend(location).connect(role)
}

/// A fresh database of `kind` with a demo county installed, and a dispatcher over it.
public func countyDesk(_ demo: (county: Boundary, result: DemoCounty.Result), in dir: TempDir, _ kind: StoreKind = .spatialite) throws -> Dispatcher {
    try countyDesk(demo, at: kind.newLocation(in: dir))
}

public func countyDesk(_ demo: (county: Boundary, result: DemoCounty.Result), at location: String) throws -> Dispatcher {
    let connection = try newDatabase(location)
    _ = try GridPlanning(store: connection.grids).install(demo.result, county: demo.county, note: "tiny")
    return try Dispatcher(store: connection)
}

/// One SQL statement on the database under a store connection, its rows as text: for tests that
/// check the database itself. Keep the SQL to what both SQLite and PostgreSQL read alike.
public func rows(_ sql: String, on connection: any StoreConnection) throws -> [[String?]] {
    if let r = try PostGISBackend.query(sql, on: connection) { return r }
    guard let db = SpatiaLiteBackend.database(of: connection) else { fatalError("unknown backend") }
    return try db.prepare(sql).rows().map { $0.map { v in
        switch v {
        case .null: nil
        case .integer(let i): String(i)
        case .real(let d): d.description
        case .text(let t): t
        case .blob(let b): b.map { String(format: "%02x", $0) }.joined()
        }
    } }
}

/// Statements without results (fault fixtures, checks that a write is refused).
public func execute(_ sql: String, on connection: any StoreConnection) throws {
    if try PostGISBackend.execute(sql, on: connection) { return }
    try SpatiaLiteBackend.database(of: connection)!.execute(sql)
}

/// The first column of the first row.
public func scalar(_ sql: String, on connection: any StoreConnection) throws -> String? { try rows(sql, on: connection).first?.first ?? nil }

/// Monday 2026-11-23 at the given hour, China time.
public func monday(_ hour: Int) -> Date {
    ChinaTime.date(String(format: "2026-11-23T%02d:00:00+08:00", hour))!
}

public let clerk = Actor("clerk", source: "test")

/// The SQLite connection under a dispatcher's store (tests check the file itself).
public func sqlite(_ d: Dispatcher) -> Database { SpatiaLiteBackend.database(of: d.store)! }

/// Waits until the feed has published everything committed so far.
public func caughtUp(_ feed: ChangeFeed) {
    let done = DispatchSemaphore(value: 0)
    feed.committed { done.signal() }
    done.wait()
}

/// The `wangge` executable built next to the test bundle, run as a user runs it.
public let wanggePath: String = {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for dir in [beside, beside.deletingLastPathComponent(), beside.deletingLastPathComponent().deletingLastPathComponent()] {
        let candidate = dir.appendingPathComponent("wangge").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return repoRoot.appendingPathComponent(".build/debug/wangge").path
}()

/// shapely's problems of these micro-grids in these grids (`Tests/Fixtures/microgrid_oracle.py`):
/// (kind, ids…), a gap named by its grid.
public func microgridOracle(_ grids: [Grid], _ microgrids: [MicroGrid]) throws -> Set<[String]> {
    func geoJSON(_ features: [(String, String, Polygon)]) -> Data {
        let fc = FeatureCollection(features.map { key, code, p in Feature(geometry: .polygon(p), properties: JSONObject([(key, .string(code))])) })
        return Data(GeoJSONWriter(precision: nil).string(.featureCollection(fc)).utf8)
    }
    let dir = TempDir()
    try geoJSON(grids.map { ("grid_id", $0.code, $0.polygon) }).write(to: URL(fileURLWithPath: dir.path("g.json")))
    try geoJSON(microgrids.map { ("microgrid_id", $0.code, $0.polygon) }).write(to: URL(fileURLWithPath: dir.path("m.json")))
    let python = repoRoot.appendingPathComponent(".build/venv-test/bin/python").path
    let r = try sh(python, [repoRoot.appendingPathComponent("Tests/Fixtures/microgrid_oracle.py").path, dir.path("g.json"), dir.path("m.json")])
    guard r.status == 0, let list = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [[Any]] else {
        throw OracleFailure(description: "microgrid_oracle.py: \(r.err)")
    }
    return Set(list.map { [$0[0] as? String ?? ""] + ($0[1] as? [String] ?? []) })
}

public struct OracleFailure: Error, CustomStringConvertible {
    public let description: String
}
