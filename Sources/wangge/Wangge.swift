import ArgumentParser
import Foundation
import Geo
import Cases
import Grid
import SpatiaLiteStore

@main
struct Wangge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wangge",
        abstract: "GIS server and tools for county social-governance centres (综治中心).",
        subcommands: [Init.self, Migrate.self, Import.self, Assign.self, Demo.self, Grids.self, CasesCommand.self, AlertsCommand.self, HotSpotsCommand.self, ReportCommand.self, TracksCommand.self, PatrolCommand.self, QRCommand.self, UnitsCommand.self, Serve.self,
                      TokenCommand.self, Bench.self])
}

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a Wangge database (or bring an existing one up to date).")
    @Option(help: "Database: a SpatiaLite file path, or postgresql://user@host:port/name (PostGIS).") var db: String

    func run() throws {
        do {
            let b = try backend(db)
            _ = try b.migrate(create: true)
            print("initialised \(b.location)")
        } catch { throw fail("init", error) }
    }
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bring an existing database's schema up to date (a server on an old schema refuses to start until then).")
    @Option(help: "Database: a SpatiaLite file path, or postgresql://user@host:port/name (PostGIS).") var db: String

    func run() throws {
        do {
            let b = try backend(db)
            let applied = try b.migrate(create: false)
            // Numbers an older version kept plain are sealed with the key now (SQL cannot).
            let (key, sealed) = try PartyKey.opening(try b.connect(.command))
            print(applied.isEmpty ? "\(b.location) is up to date" : "\(b.location): applied \(applied.joined(separator: ", "))")
            if sealed > 0 { print("sealed the ID and phone numbers of \(sealed) parties with key \(key.id) (\(PartyKey.defaultPath))") }
        } catch { throw fail("migrate", error) }
    }
}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Import GeoJSON layers.", subcommands: [ImportBoundary.self, ImportGrids.self, ImportCameras.self, ImportMicroGrids.self])
}

/// What every import takes (the database, the file and the CRS of its coordinates), and how it
/// reports: one line on success, the file and every problem on failure.
struct ImportSource: ParsableArguments {
    @Option(help: "Database: a SpatiaLite file path, or postgresql://user@host:port/name (PostGIS).") var db: String
    @Option(help: "CRS of the file's coordinates.") var crs: InputCRS = .wgs84
    @Argument(help: "GeoJSON file.") var file: String

    /// `body` gets the store, the file's bytes and the CRS, and says what it imported.
    func run(_ command: String, _ body: (any GridStore, [UInt8], CRS) throws -> String) throws {
        do { print(try body(try connect(db).grids, try readFile(file), crs.crs)) } catch { throw fail("\(command): \(file)", error) }
    }
}

struct ImportBoundary: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "boundary",
        abstract: "Import county, town and village boundaries (properties code/adcode, name, level, parent_code).")
    @OptionGroup var source: ImportSource

    func run() throws {
        try source.run("import boundary") { store, bytes, crs in
            let boundaries = try BoundaryImporter(crs: crs).boundaries(from: bytes)
            try store.save(boundaries: boundaries)
            return "imported \(boundaries.count) boundaries from \(source.file)"
        }
    }
}

struct ImportCameras: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cameras",
        abstract: "Import cameras: Point features with camera_id, kind, name, and optionally azimuth, fov and range_m (their view area).",
        discussion: """
            kind is one of \(Camera.Kind.allCases.map(\.rawValue).joined(separator: ", ")). azimuth: degrees clockwise from north, \
            [0, 360); fov: horizontal field of view, (0, 360], 360 for a dome; range_m: (0, 2000]. A camera without them \
            is known by its pole. Cameras with the same camera_id are replaced; the others stay. All or nothing.
            """)
    @OptionGroup var source: ImportSource

    func run() throws {
        try source.run("import cameras") { store, bytes, crs in
            let cameras = try CameraImporter(crs: crs).cameras(from: bytes, layer: GridLayer(grids: try store.grids()))
            try store.save(cameras: cameras)
            let views = cameras.filter { $0.view != nil }
            let across = views.filter { $0.viewGridCode != $0.gridCode }.count
            return "imported \(cameras.count) cameras from \(source.file): \(views.count) with a view area, \(across) of them looking into another grid than their pole's"
        }
    }
}

struct ImportMicroGrids: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "microgrids",
        abstract: "Import micro-grids (微网格): one polygon each, properties microgrid_id (the grid's code and three digits), name, and optionally leader_name and leader_phone (the 微网格长).",
        discussion: """
            The file's micro-grids replace those of the grids they belong to; other grids keep theirs. All or nothing: an id \
            that does not start with a grid of the live layer, a duplicate, an invalid polygon, a micro-grid reaching outside \
            its grid or overlapping another refuses the whole file, each bad feature named. Gaps are allowed and listed.
            """)
    @OptionGroup var source: ImportSource

    func run() throws {
        try source.run("import microgrids") { store, bytes, crs in
            let current = try store.microgrids()
            let r = try MicroGridImporter(crs: crs).microgrids(from: bytes, grids: try store.grids(), current: current,
                                                               households: try store.households(),
                                                               nextWorkerID: (try store.workers().map(\.id).max() ?? 0) + 1)
            try store.replaceMicrogrids(ofGrids: r.grids, with: r.microgrids, leaders: r.leaders)
            var lines = ["imported \(r.microgrids.count) micro-grids of \(r.grids.count) grids from \(source.file) (\(r.leaders.count) leaders)"]
            lines += r.problems.map { "  \($0)" }
            return lines.joined(separator: "\n")
        }
    }
}

struct ImportGrids: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "grids",
        abstract: "Import grids (properties grid_id, name, households); refuses invalid or overlapping ones.",
        discussion: "The result is published as a new version of the live layer. With a household layer in the database, grids count their households from it; `households_override` sets an explicit figure.")
    @OptionGroup var source: ImportSource
    @Flag(help: "Replace the whole live grid layer instead of adding to it.") var replace = false

    func run() throws {
        try source.run("import grids") { store, bytes, crs in
            let existing = try store.grids()
            let grids = try GridImporter(crs: crs).grids(from: bytes, existing: replace ? [] : existing)
            let report = try GridPlanning(store: store).publishLayer(replace ? grids : existing + grids, note: "import \(source.file)", replacing: existing)
            return "imported \(grids.count) grids from \(source.file) as version \(report.version)"
        }
    }
}

struct Assign: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read CSV with id, lon and lat columns on stdin; write CSV id,grid_id to stdout in input order.",
        discussion: """
            The header names the columns, in any order (lon may be lng, longitude or x; lat may be latitude or y); \
            other columns are left out, or kept with --keep-columns. Quoted fields, CRLF, a byte-order mark and numbers \
            at full precision or with an exponent are read as written. A point in no grid gets an empty grid_id. Bad rows \
            are reported on stderr with their line number and left out; the exit status is then 1.
            """)
    @Option(help: "Database: a SpatiaLite file path, or postgresql://user@host:port/name (PostGIS).") var db: String
    @Option(help: "CRS of the input coordinates.") var crs: InputCRS = .wgs84
    @Flag(help: "Write every input column, then grid_id (the id column is then optional).") var keepColumns = false

    func run() throws {
        let summary: CSVAssigner.Summary
        do {
            let layer = GridLayer(grids: try connect(db).grids.grids())
            summary = try CSVAssigner(layer: layer, crs: crs.crs, keepColumns: keepColumns).run(
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
        abstract: "Build the demo county (Qu County, 渠县) from its real boundary into a new database.",
        discussion: """
            Towns, villages, about 250,000 households, about 600 grids inside the 300–500 band, cameras of every network, grid workers \
            with duty rosters, a year of disputes. Same seed, same county. --counties N adds N−1 copies of the county's boundary side \
            by side (codes 519901…, each built from its own seed): a prefecture in one database.
            """)
    @Option(help: "Database: a new SpatiaLite file, or postgresql://user@host:port/name (PostGIS).") var db: String
    @Option(help: "Random seed: same seed, same county.") var seed: UInt64 = 1
    @Option(help: "County boundary (GCJ-02 GeoJSON, as Amap publishes it).") var boundary = "data/boundaries/511725.geojson"
    @Option(help: "Scale of each county's households (1 = about 250,000).") var scale = 1.0
    @Option(help: "Counties in the database (1 to \(DemoPrefecture.maxCounties)): the real one, then copies beside it.") var counties = 1
    @Flag(inversion: .prefixedNo, help: "Patrol tracks of yesterday and today for every grid worker, and key households.") var tracks = true

    func run() throws {
        do {
            let found = try BoundaryImporter(crs: .gcj02).boundaries(from: readFile(boundary)).filter { $0.level == .county }
            guard let county = found.first else { throw StoreError("\(boundary) has no county-level feature") }
            guard scale > 0, scale <= 4 else { throw ValidationError("--scale is above 0 and at most 4, not \(scale)") }
            let prefecture = DemoPrefecture(first: county, count: counties, seed: seed, scale: scale)
            _ = try prefecture.counties()   // refuses a bad --counties before touching the database
            let backend = try backend(db)
            _ = try backend.migrate(create: true)
            let connection = try backend.connect(.command)
            let planning = GridPlanning(store: connection.grids)
            try planning.requireEmpty()
            let built = try prefecture.build()
            let all = DemoCounty.Result.merged(built.map(\.result))
            let version = try planning.install(all, counties: built.map(\.boundary),
                                               note: counties == 1 ? "demo county, seed \(seed)" : "demo prefecture, \(counties) counties, seed \(seed)")
            try connection.cases.save(units: built.flatMap { DemoUnits.units(county: $0.boundary.code, name: $0.boundary.name) })
            let dispatcher = try Dispatcher(store: connection)
            for c in built {
                var year = DemoCases()
                year.seed = c.seed
                year.county = c.boundary.code
                year.count = Int(Double(year.count) * scale)
                let disputes = try year.install(dispatcher, households: c.result.households, cameras: c.result.cameras)
                let r = c.result
                let households = r.households.reduce(0) { $0 + $1.households }
                print("demo county \(c.boundary.name) (\(c.boundary.code)) in \(backend.location), version \(version): \(r.towns.count) towns, "
                      + "\(r.villages.count) villages, \(r.grids.count) grids, \(households) households, "
                      + "\(r.cameras.count) cameras, \(r.workers.count) workers, \(DemoUnits.committees.count) mediation committees, "
                      + "\(DemoUnits.departments.count) departments, \(disputes) disputes over the past year")
            }
            // Field work: key households, and yesterday's and today's (until now) patrol tracks.
            guard tracks else { return }
            let now = Date(), started = Date()
            var keys: [Int64: KeyHousehold] = [:]
            var fixes = 0
            for c in built {
                var watch = DemoFieldDay(day: ChinaTime.dayText(now), until: now)
                watch.seed = c.seed   // the tracks' seed: its walkers stop at these
                for (id, kind) in watch.keyHouseholds(c.result) { keys[id] = kind }
                for day in [ChinaTime.dayText(now - 86400), ChinaTime.dayText(now)] {
                    var field = DemoFieldDay(day: day, until: now)
                    field.seed = c.seed
                    fixes += try field.install(dispatcher, c.result)
                }
            }
            try connection.field.save(keyHouseholds: keys)
            print("field work: \(keys.count) key households, \(fixes) track fixes of yesterday and today in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        } catch { throw fail("demo", error) }
    }
}
