import ArgumentParser
import Cases
import Foundation
import Geo
import Grid

/// `wangge tracks …`: workers' GPX tracks in, old fixes out.
struct TracksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tracks", abstract: "Grid workers' patrol tracks (GPX 1.1).",
                                                    subcommands: [TracksImport.self, TracksShow.self, TracksPrune.self])
}

struct TracksImport: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import",
        abstract: "Store a worker's GPX track; fixes implying more than 150 km/h from the last kept one, or repeating a time, are dropped and counted.")
    @OptionGroup var database: DatabaseOption
    @Option(help: "The worker whose phone recorded it.") var worker: Int64
    @Option(help: "CRS of the file's coordinates (phones with Amap or Tencent record GCJ-02).") var crs: InputCRS = .wgs84
    @Argument(help: "GPX file.") var file: String

    func run() throws {
        do {
            let fixes = try GPXReader(crs: crs.crs).read(Data(try readFile(file)))
            let store = try database.connection()
            let r = try TrackImport.record(fixes, worker: worker, in: store, layer: GridLayer(grids: try store.grids.grids()))
            printOut(try json(TrackImportView(r, worker: worker)))
        } catch { throw fail("tracks import: \(file)", error) }
    }
}

struct TracksShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "A worker's track of one day (China time) as GeoJSON.")
    @OptionGroup var database: DatabaseOption
    @Option var worker: Int64
    @Option(help: "The day, as 2026-11-23.") var date: String

    func run() throws {
        try reporting("tracks show") {
            guard let start = ChinaTime.day(date) else {
                throw ValidationError("--date \(date) is not a day like 2026-11-23")
            }
            let fixes = try database.connection().field.fixes(worker: worker, from: start, to: start + 86400)
            printOut(WorkerDayTrack(worker: worker, day: date, fixes: fixes).geoJSON())
        }
    }
}

struct TracksPrune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune",
        abstract: "Delete track fixes older than --days (90 by default): positions are staff's personal data. The server does it daily.")
    @OptionGroup var database: DatabaseOption
    @Option(help: "Keep this many days.") var days = 90

    func run() throws {
        try reporting("tracks prune") {
            guard (1...3650).contains(days) else { throw ValidationError("--days must be from 1 to 3650, not \(days)") }
            let n = try database.connection().field.prune(before: Date() - Double(days) * 86400)
            printOut("deleted \(n) fixes older than \(days) days")
        }
    }
}

extension PatrolView.By: ExpressibleByArgument {}

struct PatrolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "patrol",
        abstract: "A day's patrol figures (半日1巡, coverage, visits, reports, key households) by grid, worker or town, as JSON.")
    @OptionGroup var database: DatabaseOption
    @Option(help: "The day (China time), as 2026-11-23; today by default.") var date: String?
    @Option(help: "grid, worker or town.") var by: PatrolView.By = .grid
    @Option(help: "Only the grids of this town or village code.") var area: String?

    func run() throws {
        try reporting("patrol") {
            guard let start = ChinaTime.day(date ?? ChinaTime.dayText(Date())) else { throw ValidationError("--date \(date ?? "") is not a day like 2026-11-23") }
            let day = ChinaTime.dayText(start)   // as stored, however it was written
            let store = try database.connection()
            let territory = try Territory.load(store)
            let (input, week) = try PatrolFigures.read(day: day, from: store, grids: territory.layer.grids)
            let figures = PatrolFigures(day: day, week: week, input: input, scope: { code in area.map { code.hasPrefix($0) } ?? true })
            printOut(try json(PatrolView(figures, by: by, detail: true, names: territory.unitNames).json()))
        }
    }
}
