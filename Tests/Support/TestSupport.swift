import Cases
import Foundation
import Grid
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

/// A new, migrated SpatiaLite database at `path`, and a command connection to it.
public func newDatabase(_ path: String) throws -> any StoreConnection {
    let backend = SpatiaLiteBackend(path: path)
    _ = try backend.migrate(create: true)
    return try backend.connect(.command)
}

/// Another command connection to an existing database.
public func connect(_ path: String, _ role: ConnectionRole = .command) throws -> any StoreConnection {
    try SpatiaLiteBackend(path: path).connect(role)
}

/// A fresh database at `dir` with a demo county installed, and a dispatcher over it.
public func countyDesk(_ demo: (county: Boundary, result: DemoCounty.Result), in dir: TempDir) throws -> Dispatcher {
    let connection = try newDatabase(dir.path("c.sqlite"))
    _ = try GridPlanning(store: connection.grids).install(demo.result, county: demo.county, note: "tiny")
    return try Dispatcher(store: connection)
}

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
