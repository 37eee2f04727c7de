import ArgumentParser
import Cases
import Foundation

/// `wangge units …`: mediation committees and departments' windows.
struct UnitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "units", abstract: "Committees and departments: import, list.",
                                                    subcommands: [UnitsImport.self, UnitsList.self])
}

struct UnitsImport: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import",
        abstract: "Import committees and departments from JSON: {\"units\": [{kind, area, key, name, categories, routes}]}.",
        discussion: """
            kind: committee or department; area: the county, town or village code it serves; key: a-z, 0-9 and -, unique \
            in the area; categories: what it takes (\(Case.Category.allCases.map(\.rawValue).joined(separator: ", "))); \
            routes (optional): categories whose new cases in the area go straight to it. A unit's code is kind:area:key. \
            Units with a code already there are replaced (their cases stay with them); the others stay. All or nothing: \
            every problem is named by its place in the file. Running servers take the new units at once.
            """)
    @Option(help: "Database: a SpatiaLite file path, or postgresql://user@host:port/name (PostGIS).") var db: String
    @Argument(help: "JSON file.") var file: String

    func run() throws {
        try reporting("units import: \(file)") {
            let store = try connect(db)
            let areas = Set(try store.grids.boundaries().map(\.code))
            let units = try UnitsFile.read(try readFile(file), areas: areas, existing: try store.cases.units())
            try store.cases.save(units: units)
            let routes = units.reduce(0) { $0 + $1.routes.count }
            printOut("imported \(units.count) units from \(file) (\(units.filter { $0.kind == .committee }.count) committees, "
                     + "\(units.filter { $0.kind == .department }.count) departments, \(routes) routing rules)")
        }
    }
}

struct UnitsList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List committees and departments: code, name, categories, routes.")
    @Option(help: "Database: a SpatiaLite file path, or postgresql://user@host:port/name (PostGIS).") var db: String

    func run() throws {
        try reporting("units list") {
            for u in try connect(db).cases.units() {
                let routes = u.routes.isEmpty ? "" : "\troutes \(u.routes.map(\.rawValue).joined(separator: ","))"
                printOut("\(u.code)\t\(u.name)\t\(u.categories.map(\.rawValue).joined(separator: ","))\(routes)")
            }
        }
    }
}
