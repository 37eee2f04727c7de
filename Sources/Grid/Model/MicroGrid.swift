import Geo

/// A micro-grid (微网格): the fifth level, a building or a few neighbouring households (about 10–50)
/// inside one grid, looked after by a micro-grid leader (微网格长, often a resident volunteer) who is
/// the first to a dispute there while the grid worker on duty stays its assignee.
/// `code` is the grid's code and three digits: the `microgrid_id` of every file and API.
public struct MicroGrid: Hashable, Sendable {
    public var code: String
    public var name: String
    /// Households counted from the address points inside it (by the locator's rule).
    public var households: Int
    /// The micro-grid leader, a worker with the role `microgrid_leader`.
    public var leaderID: Int64?
    /// WGS84 lon/lat, one polygon.
    public var polygon: Polygon

    public init(code: String, name: String, households: Int = 0, leaderID: Int64? = nil, polygon: Polygon) {
        self.code = code
        self.name = name
        self.households = households
        self.leaderID = leaderID
        self.polygon = polygon
    }

    /// The grid it belongs to: its code without the last three digits.
    public var gridCode: String { String(code.dropLast(3)) }

    /// Whether `code` is a micro-grid code of grid `grid`: the grid's code and three digits.
    public static func isCode(_ code: String, of grid: String) -> Bool {
        code.utf8.count == grid.utf8.count + 3 && code.hasPrefix(grid) && code.utf8.suffix(3).allSatisfy { (0x30...0x39).contains($0) }
    }

    /// The household band of a micro-grid: a building or a few households (a tower block may hold more).
    public static let householdBand = 10...60
}

/// The live micro-grids in memory with their locator: "which micro-grid is this place in?" and who
/// leads it. Immutable; built with the territory, shared by every reader.
public struct MicroGridLayer: Sendable {
    public let microgrids: [MicroGrid]
    public let locator: PointLocator
    /// Leaders by worker id.
    public let leaders: [Int64: Worker]
    private let index: [String: Int]

    public init(microgrids: [MicroGrid], leaders: [Worker] = []) {
        self.microgrids = microgrids
        index = Dictionary(microgrids.enumerated().map { ($1.code, $0) }, uniquingKeysWith: { a, _ in a })
        locator = PointLocator(polygons: microgrids.map(\.polygon))
        self.leaders = Dictionary(leaders.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public static let empty = MicroGridLayer(microgrids: [])

    /// The micro-grid of grid `gridCode` at a WGS84 position (a micro-grid reaching across its grid
    /// does not take a place of the neighbour's).
    public func microgrid(at p: Position, in gridCode: String?) -> MicroGrid? {
        guard let gridCode, let k = locator.locate(p.lon, p.lat) else { return nil }
        let m = microgrids[k]
        return m.gridCode == gridCode ? m : nil
    }

    public func microgrid(code: String) -> MicroGrid? { index[code].map { microgrids[$0] } }

    /// The leader of the micro-grid `code`, when it has one.
    public func leader(of code: String?) -> Worker? {
        code.flatMap(microgrid(code:))?.leaderID.flatMap { leaders[$0] }
    }
}
