import Foundation
import Geo
import Grid

// The shapes of workers, placement, duty, plans and layer versions, for the CLI and the API.

/// A grid worker; the phone only for those who may see staff phones (not viewers).
public struct WorkerView: Encodable, Sendable {
    var worker_id: Int64
    var name: String
    var role: String
    var phone: String?
    public init(_ w: Worker, phone: Bool) {
        worker_id = w.id
        name = w.name
        role = w.role.rawValue
        self.phone = phone ? w.phone : nil
    }
    static let example = Worker(id: 17, name: "郑梅洋", role: .leader, phone: "19349139124")
}

/// Who takes a case at a place now (`/api/assign`).
public struct PlacementView: DocumentedShape, Sendable {
    var grid_id: String?
    var grid_name: String?
    var on_duty: WorkerView?
    var leader: WorkerView?
    var unit: String
    var unit_name: String
    public init(_ p: Placement, _ names: UnitNames, phones: Bool) {
        grid_id = p.grid?.code
        grid_name = p.grid?.name
        on_duty = p.onDuty.map { WorkerView($0, phone: phones) }
        leader = p.leader.map { WorkerView($0, phone: phones) }
        unit = p.unit
        unit_name = names.name(p.unit)
    }
    public static var examples: [PlacementView] {
        let grid = Grid(code: "511725001001001", name: "白丰村第4网格", households: 400, polygon: Polygon([[.init(0, 0), .init(1, 0), .init(0, 1), .init(0, 0)]]))
        return [PlacementView(Placement(grid: grid, onDuty: WorkerView.example, leader: WorkerView.example, unit: "grid:511725001001001"),
                              UnitNames(boundaries: []), phones: true),
                PlacementView(Placement(grid: grid, onDuty: WorkerView.example, leader: WorkerView.example, unit: "grid:511725001001001"),
                              UnitNames(boundaries: []), phones: false),
                PlacementView(Placement(grid: nil, onDuty: nil, leader: nil, unit: "county:511725"), UnitNames(boundaries: []), phones: false)]
    }
}

/// Who is on duty in a grid at a time, and everyone posted there.
public struct DutyView: DocumentedShape, Sendable {
    var grid_id: String
    var at: String
    var on_duty: WorkerView?
    var leader: WorkerView?
    var workers: [WorkerView]
    public init(grid: String, at: Date, roster: DutyRoster, phones: Bool) {
        grid_id = grid
        self.at = ChinaTime.text(at)
        on_duty = roster.onDuty(at: at).map { WorkerView($0, phone: phones) }
        leader = roster.leader.map { WorkerView($0, phone: phones) }
        // Everyone posted to the grid (the leader and those with shifts): whom a case may go to.
        var posted = roster.workers
        if let l = roster.leader { posted[l.id] = l }
        workers = posted.values.sorted { $0.id < $1.id }.map { WorkerView($0, phone: phones) }
    }
    public static var examples: [DutyView] {
        let w = WorkerView.example
        return [DutyView(grid: "511725001001001", at: Date(timeIntervalSince1970: 0), roster: DutyRoster(gridCode: "511725001001001", shifts: [], leader: w, workers: [w.id: w]), phones: true),
                DutyView(grid: "511725001001001", at: Date(timeIntervalSince1970: 0), roster: DutyRoster(gridCode: "511725001001001", shifts: [], leader: w, workers: [w.id: w]), phones: false),
                DutyView(grid: "511725001001001", at: Date(timeIntervalSince1970: 0), roster: DutyRoster(gridCode: "511725001001001", shifts: [], leader: nil, workers: [:]), phones: false)]
    }
}

public struct PlanView: DocumentedShape, Sendable {
    var id: Int64
    var name: String
    var base_version: Int
    var status: String
    var created_at: String
    var published_version: Int?
    public init(_ p: Plan) {
        id = p.id
        name = p.name
        base_version = p.baseVersion
        status = p.status.rawValue
        created_at = p.createdAt
        published_version = p.publishedVersion
    }
    public static var examples: [PlanView] {
        [PlanView(Plan(id: 1, name: "re", baseVersion: 1, status: .published, createdAt: "2026-12-01T17:24:41+08:00", publishedVersion: 2)),
         PlanView(Plan(id: 2, name: "draft", baseVersion: 2, status: .draft, createdAt: "2026-12-01T17:24:41+08:00"))]
    }
}

public struct LayerVersionView: DocumentedShape, Sendable {
    var version: Int
    var effective_at: String
    var published_at: String
    var plan_id: Int64?
    var note: String
    var grids: Int
    public init(_ v: LayerVersion) {
        version = v.version
        effective_at = v.effectiveAt
        published_at = v.publishedAt
        plan_id = v.planID
        note = v.note
        grids = v.gridCount
    }
    public static var examples: [LayerVersionView] {
        [LayerVersionView(LayerVersion(version: 2, effectiveAt: "2026-12-01T17:24:41+08:00", publishedAt: "2026-12-01T17:24:41+08:00", planID: 1, note: "plan 1", gridCount: 626)),
         LayerVersionView(LayerVersion(version: 1, effectiveAt: "2026-12-01T17:24:41+08:00", publishedAt: "2026-12-01T17:24:41+08:00", note: "demo", gridCount: 626))]
    }
}

/// A publish or rollback: the new version, how many things moved, and (publish) what changed.
public struct PublishedView: DocumentedShape, Sendable {
    var version: Int
    var moves: Int
    @OmitIfNil var diff: JSONValue?
    public init(version: Int, moves: Int, diff: JSONValue? = nil) {
        self.version = version
        self.moves = moves
        self.diff = diff
    }
    public static var examples: [PublishedView] {
        [PublishedView(version: 2, moves: 110, diff: .object(JSONObject())), PublishedView(version: 3, moves: 0)]
    }
}

/// A plan operation's answer: the grids it changed and the plan's problems now (GeoJSON).
/// What a plan operation did: the grids it names (`changed`), those it took out, the changed and
/// added grids as they now are (in the operation's CRS), the plan's problems, and the operations
/// that undo and redo it (`restore` bodies in WGS84, to be posted back as they are).
public struct PlanOperationView: DocumentedShape, Sendable {
    var plan_id: Int64
    var changed: [String]
    var removed: [String]
    var grids: JSONValue
    var problems: JSONValue
    var undo: JSONValue
    var redo: JSONValue
    public init(plan: Int64, changed: [String], removed: [String], grids: JSONValue, problems: JSONValue, undo: JSONValue, redo: JSONValue) {
        plan_id = plan
        self.changed = changed
        self.removed = removed
        self.grids = grids
        self.problems = problems
        self.undo = undo
        self.redo = redo
    }
    public static var examples: [PlanOperationView] {
        let none = JSONValue.object(JSONObject([("type", "FeatureCollection"), ("features", .array([]))]))
        let restore = JSONValue.object(JSONObject([("op", "restore"), ("grids", .array([])), ("remove", .array([.string("511725001001009")]))]))
        return [PlanOperationView(plan: 1, changed: ["511725001001001"], removed: ["511725001001002"], grids: none, problems: none, undo: restore, redo: restore)]
    }
}

public struct GridView: DocumentedShape, Sendable {
    var grid_id: String
    var name: String
    var kind: String
    /// The figure in force: the override when a planner set one, else the count.
    var households: Int
    var households_counted: Int
    var households_override: Int?
    var households_source: String
    var population: Int
    /// Against the 300–500 band: `under`, `within` or `over`.
    var band: String
    var village_code: String?
    var village: String?
    var town_code: String?
    var town: String?

    /// - Parameter names: county, town and village names by code.
    public init(_ g: Grid, names: [String: String]) {
        grid_id = g.code
        name = g.name
        kind = g.kind.rawValue
        households = g.effectiveHouseholds
        households_counted = g.households
        households_override = g.householdsOverride
        households_source = g.householdsOverride != nil ? "override" : "counted"
        population = g.population
        let b = Grid.householdBand
        band = g.effectiveHouseholds < b.lowerBound ? "under" : g.effectiveHouseholds > b.upperBound ? "over" : "within"
        village_code = g.villageCode
        village = g.villageCode.flatMap { names[$0] }
        town_code = g.townCode
        town = g.townCode.flatMap { names[$0] }
    }

    /// The properties as a feature carries them.
    public var properties: JSONObject { (try? JSONValueEncoder().encode(self))?.objectValue ?? JSONObject() }

    public static var examples: [GridView] {
        let square = Polygon([[.init(0, 0), .init(1, 0), .init(1, 1), .init(0, 1), .init(0, 0)]])
        return [GridView(Grid(code: "511725001001001", name: "白丰村第1网格", households: 420, polygon: square, householdsOverride: 450),
                         names: ["511725001": "渠江街道", "511725001001": "白丰村"]),
                GridView(Grid(code: "X1", name: "dedicated", households: 12, polygon: square, kind: .dedicated), names: [:])]
    }
}
