import ArgumentParser
import Cases
import Foundation
import Media

/// `wangge qr`: the report codes to print and put up in villages, communities and grids.
struct QRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "qr",
        abstract: "QR codes of the residents' report page (扫码反映), the unit's name under each: one unit to a file, or --all to a directory.")
    @OptionGroup var database: DatabaseOption
    @Option(help: "A village or community (12 digits) or grid (15 digits) code.") var unit: String?
    @Flag(help: "One card per village, community and grid.") var all = false
    @Option(help: "The file (.svg or .png) for --unit; the directory for --all.") var out: String
    @Option(help: "svg or png, for --all.") var format = "svg"
    @Option(help: "Where residents reach the server (the code's link is BASE/report?unit=CODE).") var baseURL = "http://127.0.0.1:8080"

    func run() throws {
        try reporting("qr") {
            guard unit == nil || !all else { throw ValidationError("give --unit CODE or --all, not both") }
            guard baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://") else { throw ValidationError("--base-url must start with http:// or https://") }
            let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
            let territory = try Territory.load(try database.connection())
            if let unit {
                guard let u = ReportUnit(code: unit, in: territory) else {
                    throw ValidationError("--unit \(unit): no such village, community or grid in the database")
                }
                let kind = (out as NSString).pathExtension.lowercased()
                guard kind == "svg" || kind == "png" else { throw ValidationError("--out must end in .svg or .png, not \(out)") }
                try write(u, base: base, to: out, png: kind == "png")
                printOut("wrote \(out): \(u.title) → \(u.reportURL(base: base))")
                return
            }
            guard all else { throw ValidationError("give --unit CODE or --all") }
            guard format == "svg" || format == "png" else { throw ValidationError("--format is svg or png, not \(format)") }
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let units = ReportUnit.all(in: territory)
            for u in units { try write(u, base: base, to: (out as NSString).appendingPathComponent("\(u.code).\(format)"), png: format == "png") }
            printOut("wrote \(units.count) codes to \(out) (\(units.filter { $0.code.count == 12 }.count) villages and communities, \(units.filter { $0.code.count == 15 }.count) grids)")
        }
    }

    private func write(_ u: ReportUnit, base: String, to path: String, png: Bool) throws {
        let card = try ReportCodeCard(url: u.reportURL(base: base), title: u.title, subtitle: u.subtitle)
        let bytes = png ? try card.png() : Array(card.svg.utf8)
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { throw ValidationError("cannot write \(path)") }
    }
}
