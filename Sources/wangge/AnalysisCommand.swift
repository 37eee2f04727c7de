import ArgumentParser
import Cases
import Foundation
import Grid
import Server

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
                if let d = ChinaTime.day(s) { return d }
                guard let d = try time(s, option: option) else { throw ValidationError("\(option) is required") }
                return d
            }
            let r = HotSpotRequest(from: try day(from, "--from"), to: try day(to, "--to"), bin: b, category: c)
            let connection = try database.connection()
            let grids = try Territory.load(connection).layer.grids
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

/// `wangge report`: the monthly analysis report, as `/api/reports/{month}.pdf|html` gives it.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report",
        abstract: "The monthly analysis report (按月发布分析报告) of a county: PDF (printed by headless Chromium) or HTML, by --out's extension.")
    @OptionGroup var database: DatabaseOption
    @Option(help: "The month, as 2026-11.") var month: String
    @Option(help: "The county's code (default: the database's first county).") var county: String?
    @Option(help: "Where to write it: FILE.pdf or FILE.html.") var out: String

    func run() throws {
        try reporting("report") {
            guard let m = ReportMonth(month) else { throw ValidationError("--month \(month) is not a month: write it as 2026-11") }
            let pdf = out.hasSuffix(".pdf")
            guard pdf || out.hasSuffix(".html") else { throw ValidationError("--out must end in .pdf or .html, not \(out)") }
            let connection = try database.connection()
            let grids = try Territory.load(connection).layer.grids
            let report = try MonthlyReport.read(m, county: county, grids: grids, adjacency: try GridAdjacency(grids),
                                                boundaries: try connection.grids.boundaries(), from: connection.cases)
            let html = try ReportHTML(report).html()
            let bytes = pdf ? Data(try PDFPrinter.pdf(html: html)) : Data(html.utf8)
            guard FileManager.default.createFile(atPath: out, contents: bytes) else { throw ValidationError("cannot write \(out)") }
            let c = report.county.figures
            printOut("\(report.county.name) \(m.label): \(c.received) cases received, \(c.resolved) resolved, \(report.towns.count) towns, \(report.ranking.count) ranked; \(out) (\(bytes.count) bytes)")
        }
    }
}
