import ArgumentParser
import Foundation
import Geo
import Grid

@main
struct Wangge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wangge",
        abstract: "GIS server and tools for county social-governance centres (综治中心).",
        subcommands: [Init.self, Import.self, Assign.self, Demo.self, Bench.self])
}

/// The input coordinate systems the CLI accepts.
enum InputCRS: String, ExpressibleByArgument, CaseIterable {
    case wgs84, gcj02
    var crs: CRS { self == .wgs84 ? .crs84 : .gcj02 }
}

/// Prints a failure as `wangge <command>: <reason>` and exits non-zero.
func fail(_ command: String, _ error: Any) -> ExitCode {
    FileHandle.standardError.write(Data("wangge \(command): \(error)\n".utf8))
    return ExitCode(1)
}

func readFile(_ path: String) throws -> [UInt8] {
    guard let d = FileManager.default.contents(atPath: path) else { throw StoreError("cannot read \(path)") }
    return [UInt8](d)
}

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create (or bring up to date) a Wangge database.")
    @Option(help: "Database file (SpatiaLite).") var db: String

    func run() throws {
        do { _ = try SpatiaLiteGridStore(path: db) } catch { throw fail("init", error) }
        print("initialised \(db)")
    }
}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Import GeoJSON layers.", subcommands: [ImportBoundary.self, ImportGrids.self])
}

struct ImportBoundary: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "boundary",
        abstract: "Import county, town and village boundaries (properties code/adcode, name, level).")
    @Option(help: "Database file.") var db: String
    @Option(help: "CRS of the file's coordinates.") var crs: InputCRS = .wgs84
    @Argument(help: "GeoJSON file.") var file: String

    func run() throws {
        do {
            let store = try SpatiaLiteGridStore.open(path: db)
            let boundaries = try BoundaryImporter(crs: crs.crs).boundaries(from: readFile(file))
            try store.save(boundaries: boundaries)
            print("imported \(boundaries.count) boundaries from \(file)")
        } catch { throw fail("import boundary: \(file)", error) }
    }
}

struct ImportGrids: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "grids",
        abstract: "Import grids (properties grid_id, name, households); refuses invalid or overlapping ones.")
    @Option(help: "Database file.") var db: String
    @Option(help: "CRS of the file's coordinates.") var crs: InputCRS = .wgs84
    @Flag(help: "Replace the whole live grid layer instead of adding to it.") var replace = false
    @Argument(help: "GeoJSON file.") var file: String

    func run() throws {
        do {
            let store = try SpatiaLiteGridStore.open(path: db)
            let existing = replace ? [] : try store.grids()
            let grids = try GridImporter(crs: crs.crs).grids(from: readFile(file), existing: existing)
            try store.save(grids: grids, replacing: replace)
            print("imported \(grids.count) grids from \(file)")
        } catch { throw fail("import grids: \(file)", error) }
    }
}

struct Assign: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read CSV id,lon,lat on stdin; write CSV id,grid_id to stdout in input order.",
        discussion: "A point in no grid gets an empty grid_id. Bad rows are reported on stderr with their line number and left out; the exit status is then 1.")
    @Option(help: "Database file.") var db: String
    @Option(help: "CRS of the input coordinates.") var crs: InputCRS = .wgs84

    func run() throws {
        let summary: CSVAssigner.Summary
        do {
            let layer = GridLayer(grids: try SpatiaLiteGridStore.open(path: db).grids())
            var header = Array("id,grid_id\n".utf8)
            _ = header.withUnsafeMutableBytes { Glibc.write(1, $0.baseAddress, $0.count) }
            summary = try CSVAssigner(layer: layer, crs: crs.crs).run(
                read: { Glibc.read(0, $0.baseAddress, $0.count) },
                write: { buf in
                    var off = 0
                    while off < buf.count {
                        let n = Glibc.write(1, buf.baseAddress! + off, buf.count - off)
                        if n <= 0 { break }
                        off += n
                    }
                },
                report: { FileHandle.standardError.write(Data("wangge assign: \($0)\n".utf8)) })
        } catch { throw fail("assign", error) }
        if summary.badRows > 0 {
            let bad = summary.badRows == 1 ? "1 bad row" : "\(summary.badRows) bad rows"
            FileHandle.standardError.write(Data("wangge assign: \(bad) left out; \(summary.rows) rows written, \(summary.assigned) in a grid\n".utf8))
            throw ExitCode(1)
        }
    }
}

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build the demo county (Qu County, 渠县) from its real boundary: county and grid layers.")
    @Option(help: "Database file.") var db: String
    @Option(help: "Random seed: same seed, same county.") var seed: UInt64 = 1
    @Option(help: "County boundary (GCJ-02 GeoJSON, as Amap publishes it).") var boundary = "data/boundaries/511725.geojson"
    @Option(help: "Number of grids.") var grids = 613

    func run() throws {
        do {
            let store = try SpatiaLiteGridStore(path: db)
            let counties = try BoundaryImporter(crs: .gcj02).boundaries(from: readFile(boundary)).filter { $0.level == .county }
            guard let county = counties.first else { throw StoreError("\(boundary) has no county-level feature") }
            var demo = DemoCounty(county: county, seed: seed)
            demo.gridCount = grids
            let result = try demo.build()
            try store.save(boundaries: [county])
            try store.save(grids: result.grids, replacing: true)
            let households = result.grids.reduce(0) { $0 + $1.households }
            print("demo county \(county.name) (\(county.code)): \(result.grids.count) grids, \(households) households in \(db)")
        } catch { throw fail("demo", error) }
    }
}
