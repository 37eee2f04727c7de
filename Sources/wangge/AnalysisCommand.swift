import ArgumentParser
import Cases
import Foundation
import Grid

/// `wangge hotspots`: the emerging hot spot analysis `/api/hotspots` answers, as GeoJSON.
struct HotSpotsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hotspots",
        abstract: "Emerging hot spots of the live grids: a GeoJSON FeatureCollection with per-bin counts, Gi* z and p, hot/cold, the trend and the pattern.")
    @OptionGroup var database: DatabaseOption
    @Option(help: "The first bin's start: a date (its start in China time) or an RFC 3339 time.") var from: String
    @Option(help: "The end: a last bin that would end after it is dropped.") var to: String
    @Option(help: "day, week or month") var bin = "week"
    @Option(help: "Cases of one category only.") var category: String?
    @Option(help: "Grids of one county, town or village (its code) only.") var area: String?
    @Option(help: "Write the GeoJSON here instead of standard output.") var out: String?

    func run() throws {
        try reporting("hotspots") {
            guard let b = TimeBin(rawValue: bin) else { throw ValidationError("--bin must be day, week or month, not \(bin)") }
            let c = try category.map { v -> Case.Category in
                guard let c = Case.Category(rawValue: v) else { throw ValidationError("unknown category \(v)") }
                return c
            }
            func day(_ s: String, _ option: String) throws -> Date {
                if s.count == 10, let d = ChinaTime.date(s + "T00:00:00+08:00"), ChinaTime.text(d).hasPrefix(s) { return d }
                return try time(s, option: option)!
            }
            let r = HotSpotRequest(from: try day(from, "--from"), to: try day(to, "--to"), bin: b, category: c)
            let connection = try database.connection()
            let grids = try Territory.load(connection.grids).layer.grids
            let analysis = try EmergingHotSpots.read(r, grids: grids, adjacency: try GridAdjacency(grids), gridPrefix: area, from: connection.cases)
            let text = String(decoding: try HotSpotsView(analysis, request: r).geoJSON(), as: UTF8.self)
            if let out {
                guard FileManager.default.createFile(atPath: out, contents: Data((text + "\n").utf8)) else { throw ValidationError("cannot write \(out)") }
                let hot = analysis.grids.filter { $0.pattern.rawValue.hasSuffix("_hot") }.count
                printOut("\(analysis.grids.count) grids × \(analysis.bins.count) bins to \(out): \(hot) with a hot spot pattern")
            } else {
                printOut(text)
            }
        }
    }
}
