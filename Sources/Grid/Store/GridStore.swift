import Foundation
import Geo

/// Where the grid layer, its versions, plans, households, cameras and staff are kept. A backend
/// (SpatiaLite, PostGIS) implements it over one connection; writes that must go together run inside
/// the connection's `write { … }`.
public protocol GridStore: AnyObject {
    func boundaries() throws -> [Boundary]
    /// Adds or replaces boundaries by code, all or nothing.
    func save(boundaries: [Boundary]) throws

    /// The live layer.
    func grids() throws -> [Grid]
    /// A published version's layer, as it was.
    func grids(version: Int) throws -> [Grid]
    func currentVersion() throws -> Int
    /// The version in force at a time: the latest to take effect by then (nil before the first).
    func version(at date: Date) throws -> Int?
    func versions() throws -> [LayerVersion]
    /// Makes `grids` the live layer as a new version, in one transaction: households, cameras and
    /// open cases move to their new grids (each moved case gets a `moved` event), grids recount
    /// their households, every move is recorded, the plan (if any) is marked published, and the
    /// micro-grids of the changed grids are replaced as `microgrids` says.
    func publish(_ grids: [Grid], note: String, planID: Int64?, effectiveAt: Date, microgrids: MicroGridReplacement?) throws -> PublishReport
    func moves(version: Int) throws -> [Move]

    func households() throws -> [Household]
    func household(id: Int64) throws -> Household?
    /// A page of address points, by id, with their counties: what the map reads per request
    /// (a province's households are never all in memory).
    func households(_ query: PointQuery) throws -> HouseholdPage
    func save(households: [Household]) throws
    func cameras() throws -> [Camera]
    func camera(id: String) throws -> Camera?
    func save(cameras: [Camera]) throws
    /// A page of cameras, by id, with their counties (the map reads them per request).
    func cameras(_ query: PointQuery) throws -> CameraPage

    /// The live micro-grids (微网格), by code.
    func microgrids() throws -> [MicroGrid]
    /// The micro-grids of `grids` replaced by `microgrids`, their leaders saved with them: one
    /// transaction.
    func replaceMicrogrids(ofGrids grids: Set<String>, with microgrids: [MicroGrid], leaders: [Worker]) throws

    func save(workers: [Worker], posts: [GridPost], shifts: [DutyShift]) throws
    func worker(id: Int64) throws -> Worker?
    func roster(gridCode: String) throws -> DutyRoster
    /// Every grid's roster at once (for dispatching many cases).
    func rosters() throws -> [String: DutyRoster]
    /// The grids a worker is posted to (any role).
    func grids(ofWorker id: Int64) throws -> [String]
    /// Every worker, by id.
    func workers() throws -> [Worker]
    /// Every worker's posts (who serves which grid, in which role), by grid and worker.
    func posts() throws -> [GridPost]

    func createPlan(name: String, fromVersion: Int?) throws -> Plan
    func plan(id: Int64) throws -> Plan
    func plans() throws -> [Plan]
    func planGrids(id: Int64) throws -> [Grid]
    /// Replaces a draft plan's layer, all or nothing.
    func savePlanGrids(id: Int64, _ grids: [Grid]) throws
    /// One edit of a draft: `changed` grids replace (or join) those with their codes, `removed`
    /// go; the plan's other rows are left as they are. One transaction.
    func savePlanGrids(id: Int64, changed: [Grid], removed: [String]) throws
}

/// Which rows of a point layer (address points, cameras) to read: optionally one, those in a box,
/// a grid or a county; a page of them, by id.
public struct PointQuery: Sendable {
    public var id: String?
    public var bbox: BoundingBox?
    public var gridCode: String?
    public var county: String?
    /// Points of an area: their grid's code starts with the area's, or (no grid) their county is it.
    public var area: Area?
    /// Cameras only: of a kind, looking into a grid, with a view.
    public var kind: String?
    public var viewGridCode: String?
    public var withView = false
    /// A checked CQL2 filter on the layer's feature properties and `geometry`.
    public var filter: Filter?
    public var limit: Int
    public var offset: Int
    /// Count every match (for `numberMatched`); tiles do not need it.
    public var count: Bool
    public init(limit: Int = 100, offset: Int = 0, count: Bool = true) {
        self.limit = limit
        self.offset = offset
        self.count = count
    }
}

public struct HouseholdPage: Sendable {
    public var rows: [(household: Household, county: String?)]
    /// Every match (0 when not counted).
    public var matched: Int
    public init(rows: [(household: Household, county: String?)], matched: Int) {
        self.rows = rows
        self.matched = matched
    }
}

public struct CameraPage: Sendable {
    public var rows: [(camera: Camera, county: String?)]
    public var matched: Int
    public init(rows: [(camera: Camera, county: String?)], matched: Int) {
        self.rows = rows
        self.matched = matched
    }
}

public struct PublishReport: Sendable {
    public var version: Int
    public var moves: [Move]
    public var grids: [Grid]
    public init(version: Int, moves: [Move], grids: [Grid]) {
        self.version = version
        self.moves = moves
        self.grids = grids
    }
}

extension GridStore {
    /// A publish that leaves the micro-grids as they are.
    public func publish(_ grids: [Grid], note: String, planID: Int64?, effectiveAt: Date) throws -> PublishReport {
        try publish(grids, note: note, planID: planID, effectiveAt: effectiveAt, microgrids: nil)
    }
}
