import ArgumentParser
import Foundation
import Geo
import Cases
import Grid

/// `wangge grids …`: the planners' tools. Each command opens the database, calls `GridPlanning`
/// or the store, and prints the result.
struct Grids: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Plan, check, publish and export the grid layer.",
        subcommands: [GridsValidate.self, GridsPlan.self, GridsSplit.self, GridsMerge.self, GridsReshape.self, GridsOverride.self,
                      GridsPartition.self, GridsPublish.self, GridsDiff.self, GridsHistory.self, GridsExport.self,
                      GridsRollback.self, GridsDuty.self])
}

struct DatabaseOption: ParsableArguments {
    @Option(help: "Database: a SpatiaLite file path, or postgresql://user@host:port/name (PostGIS).") var db: String
    func connection() throws -> any StoreConnection { try connect(db) }
    func planning() throws -> GridPlanning { GridPlanning(store: try connection().grids) }
}

struct PlanOption: ParsableArguments {
    @Option(help: "Plan id (from `wangge grids plan`).") var plan: Int64
}

struct GridsValidate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "validate",
        abstract: "Check the live layer (or a plan): overlaps, gaps, invalid grids, crossings, band, empty grids.",
        discussion: "Prints one problem a line, or with --geojson a FeatureCollection of the problems located. Exit status 1 when there are problems.")
    @OptionGroup var database: DatabaseOption
    @Option(help: "Plan id; the live layer when omitted.") var plan: Int64?
    @Flag(help: "Print the problems as GeoJSON features.") var geojson = false

    func run() throws {
        var problems: [LayerProblem] = []
        try reporting("grids validate") { problems = try database.planning().validate(plan: plan) }
        if geojson {
            let fs = problems.map { p in
                Feature(geometry: p.location, properties: JSONObject([
                    ("problem", .string(p.kind.rawValue)), ("grid_ids", .array(p.gridCodes.map { .string($0) })), ("detail", .string(p.detail))]))
            }
            printOut(GeoJSONWriter().string(.featureCollection(FeatureCollection(fs))))
        } else {
            for p in problems { printOut(p.description) }
            printOut(problems.isEmpty ? "no problems" : "\(problems.count) problems")
        }
        if !problems.isEmpty { throw ExitCode(1) }
    }
}

struct GridsPlan: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan",
        abstract: "Start a plan (a draft copy of the live layer, or of an earlier version), or list plans.")
    @OptionGroup var database: DatabaseOption
    @Option(help: "A name for the plan.") var name = "plan"
    @Option(help: "Copy this published version instead of the live one.") var fromVersion: Int?
    @Flag(help: "List the plans.") var list = false

    func run() throws {
        try reporting("grids plan") {
            let planning = try database.planning()
            if list {
                for p in try planning.store.plans() {
                    printOut("\(p.id)\t\(p.status.rawValue)\tbase version \(p.baseVersion)\t\(p.publishedVersion.map { "published as version \($0)" } ?? "")\t\(p.name)")
                }
                return
            }
            let p = try planning.newPlan(name: name, fromVersion: fromVersion)
            printOut("plan \(p.id) \"\(p.name)\" made from version \(fromVersion ?? p.baseVersion)")
        }
    }
}

struct GridsSplit: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "split", abstract: "Split a grid of a plan along a line.")
    @OptionGroup var database: DatabaseOption
    @OptionGroup var plan: PlanOption
    @Option(help: "The line: a GeoJSON LineString, inline or a file.") var line: String
    @Option(help: "CRS of the line's coordinates.") var crs: InputCRS = .wgs84
    @Argument(help: "The grid's code.") var grid: String

    func run() throws {
        try reporting("grids split") {
            guard case .lineString(let l) = try geometryArgument(line, crs: crs, what: "--line") else {
                throw ValidationError("--line must be a LineString")
            }
            let made = try database.planning().edit(plan: plan.plan) { try $0.split(grid, along: l) }
            printOut("split \(grid) into \(made.joined(separator: ", "))")
        }
    }
}

struct GridsMerge: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "merge", abstract: "Merge grid B into grid A (they must share an edge).")
    @OptionGroup var database: DatabaseOption
    @OptionGroup var plan: PlanOption
    @Argument(help: "The grid that stays.") var a: String
    @Argument(help: "The grid merged into it.") var b: String

    func run() throws {
        try reporting("grids merge") {
            try database.planning().edit(plan: plan.plan) { try $0.merge(a, b); return [a] }
            printOut("merged \(b) into \(a)")
        }
    }
}

struct GridsReshape: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reshape",
        abstract: "Give a grid a new boundary; neighbours give or take the difference.")
    @OptionGroup var database: DatabaseOption
    @OptionGroup var plan: PlanOption
    @Option(help: "The new boundary: a GeoJSON Polygon, inline or a file.") var polygon: String
    @Option(help: "CRS of the polygon's coordinates.") var crs: InputCRS = .wgs84
    @Argument(help: "The grid's code.") var grid: String

    func run() throws {
        try reporting("grids reshape") {
            guard case .polygon(let p) = try geometryArgument(polygon, crs: crs, what: "--polygon") else {
                throw ValidationError("--polygon must be a Polygon")
            }
            let touched = try database.planning().edit(plan: plan.plan) { try $0.reshape(grid, to: p) }
            printOut("reshaped \(grid); changed \(touched.joined(separator: ", "))")
        }
    }
}

struct GridsOverride: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "override",
        abstract: "Set a grid's household figure by hand (shown as an override), or clear it with `none`.")
    @OptionGroup var database: DatabaseOption
    @OptionGroup var plan: PlanOption
    @Argument(help: "The grid's code.") var grid: String
    @Argument(help: "Households, or none.") var households: String

    func run() throws {
        try reporting("grids override") {
            let value: Int?
            if households == "none" { value = nil } else {
                guard let n = Int(households) else { throw ValidationError("households must be a whole number or none, not \(households)") }
                value = n
            }
            try database.planning().edit(plan: plan.plan) { try $0.setOverride(grid, households: value); return [grid] }
            printOut(value.map { "\(grid): households set to \($0) (override)" } ?? "\(grid): override cleared, households counted")
        }
    }
}

struct GridsPartition: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "partition",
        abstract: "Re-partition a village, a town or the whole county into grids inside the household band.")
    @OptionGroup var database: DatabaseOption
    @OptionGroup var plan: PlanOption
    @Argument(help: "Village (12 digits), town (9 digits) or county (6 digits) code.") var parent: String

    func run() throws {
        try reporting("grids partition") {
            let made = try database.planning().edit(plan: plan.plan) { try $0.partition(parent) }
            printOut("partitioned \(parent) into \(made.count) grids")
        }
    }
}

struct GridsPublish: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "publish",
        abstract: "Publish a plan as the new live version (refused with validation problems or on a stale base).")
    @OptionGroup var database: DatabaseOption
    @OptionGroup var plan: PlanOption
    @Option(help: "When the new layer takes effect (ISO 8601); now when omitted.") var effective: String?

    func run() throws {
        try reporting("grids publish") {
            let at = try time(effective, option: "--effective") ?? Date()
            let planning = try database.planning()
            let p = try planning.publish(plan: plan.plan, effectiveAt: at)
            printOut("published plan \(plan.plan) as version \(p.version): \(p.diff.added.count) added, \(p.diff.removed.count) removed, "
                     + "\(p.diff.changed.count) changed, \(p.moves) households, cameras and open cases moved")
        }
    }
}

struct GridsDiff: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "diff",
        abstract: "What a plan would change on publish, or what changed between two versions (JSON).")
    @OptionGroup var database: DatabaseOption
    @Option(help: "Plan id: compare it with the live layer.") var plan: Int64?
    @Option(help: "Older version.") var from: Int?
    @Option(help: "Newer version.") var to: Int?

    func run() throws {
        try reporting("grids diff") {
            let planning = try database.planning()
            let d: LayerDiff
            if let plan {
                d = try planning.preview(plan: plan)
            } else if let from, let to {
                d = try LayerDiff(from: try planning.store.grids(version: from), to: try planning.store.grids(version: to),
                                  households: try planning.store.households(), cameras: try planning.store.cameras())
            } else {
                throw ValidationError("give --plan ID, or --from V --to V")
            }
            printOut(json(d.json))
        }
    }
}

struct GridsHistory: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "The published versions of the grid layer.")
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reporting("grids history") {
            for v in try database.planning().store.versions() {
                printOut("version \(v.version)\teffective \(v.effectiveAt)\t\(v.gridCount) grids\t\(v.note)")
            }
        }
    }
}

struct GridsExport: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export",
        abstract: "Write the live layer (or a version, or a plan) as GeoJSON to stdout; grid_id = the grid code.")
    @OptionGroup var database: DatabaseOption
    @Option(help: "A published version instead of the live layer.") var version: Int?
    @Option(help: "A plan instead of the live layer.") var plan: Int64?
    @Option(help: "Output coordinates: wgs84 (RFC 7946) or gcj02 (for Amap/Tencent basemaps).") var crs: InputCRS = .wgs84
    @Option(help: "Decimals kept (7 ≈ 1 cm); 17 keeps every coordinate exactly.") var precision = 7

    func run() throws {
        try reporting("grids export") {
            guard (0...17).contains(precision) else { throw ValidationError("--precision must be 0 to 17") }
            let store = try database.planning().store
            let layer = try plan.map { try store.planGrids(id: $0) } ?? version.map { try store.grids(version: $0) } ?? store.grids()
            let names = Dictionary(try store.boundaries().map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
            printOut(try gridsGeoJSON(layer, names: names, crs: crs, precision: precision == 17 ? nil : precision))
        }
    }
}

struct GridsRollback: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rollback",
        abstract: "Publish an earlier version again, as a new version.")
    @OptionGroup var database: DatabaseOption
    @Option(help: "The version to return to.") var to: Int

    func run() throws {
        try reporting("grids rollback") {
            let planning = try database.planning()
            let p = try planning.rollback(to: to)
            printOut("rolled back to version \(to) as version \(p.version): \(p.moves) households and cameras moved")
        }
    }
}

struct GridsDuty: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "duty", abstract: "Who is on duty in a grid now (or at a time).")
    @OptionGroup var database: DatabaseOption
    @Option(help: "ISO 8601 time; now when omitted.") var at: String?
    @Argument(help: "The grid's code.") var grid: String

    func run() throws {
        try reporting("grids duty") {
            let when = try time(at, option: "--at") ?? Date()
            let store = try database.planning().store
            guard try store.grids().contains(where: { $0.code == grid }) else { throw ValidationError("no grid \(grid) in the live layer") }
            let roster = try store.roster(gridCode: grid)
            guard let w = roster.onDuty(at: when) else { printOut("no one is on duty in \(grid) and it has no leader"); return }
            printOut(json(.object(JSONObject([("grid_id", .string(grid)), ("worker_id", .integer(w.id)), ("name", .string(w.name)),
                                              ("role", .string(w.role.rawValue)), ("phone", .string(w.phone))]))))
        }
    }
}
