import Foundation
import Grid

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
