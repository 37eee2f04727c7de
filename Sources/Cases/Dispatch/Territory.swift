import Foundation
import Geo
import Grid

/// The county as dispatch sees it: the live grid layer (with its locator), who is posted and on
/// duty in each grid, and the names of the units. An immutable value, built once per layer version
/// and shared by the writer and every reader; a publish makes a new one.
public struct Territory: Sendable {
    public let layer: GridLayer
    public let rosters: [String: DutyRoster]
    public let unitNames: UnitNames
    /// The county whose centre takes what falls in no county (the first by code).
    public let countyCode: String
    /// The counties (a prefecture's database holds several).
    public let counties: Counties
    /// Residents per unit code, for the figures' 万人 rates (summed once per layer, not per request).
    public let residents: Residents
    /// The committees and departments, and their routing rules.
    public let units: HandlingUnits
    /// The micro-grids (微网格) and their leaders: the first responder to a case.
    public let microgrids: MicroGridLayer

    public init(layer: GridLayer, rosters: [String: DutyRoster], boundaries: [Boundary], units: [HandlingUnit] = [],
                microgrids: MicroGridLayer = .empty) {
        self.layer = layer
        self.microgrids = microgrids
        self.rosters = rosters
        self.units = HandlingUnits(units)
        unitNames = UnitNames(boundaries: boundaries, units: units)
        counties = Counties(boundaries: boundaries)
        residents = Residents(layer.grids)
        countyCode = counties.codes.first ?? layer.grids.first.map { String($0.code.prefix(6)) } ?? "county"
    }

    /// The county centre of a case: that of its grid's county, else of the county it is in, else the first.
    func countyUnit(gridCode: String?, at p: Position?) -> String {
        "county:\(counties.code(grid: gridCode, at: p) ?? countyCode)"
    }

    /// Reads the live layer, rosters, boundaries and units from a store.
    public static func load(_ store: any StoreConnection) throws -> Territory {
        let grids = store.grids
        return Territory(layer: GridLayer(grids: try grids.grids()), rosters: try grids.rosters(), boundaries: try grids.boundaries(),
                         units: try store.cases.units(),
                         microgrids: MicroGridLayer(microgrids: try grids.microgrids(),
                                                    leaders: try grids.workers().filter { $0.role == .microgridLeader }))
    }

    /// The county of a case (its grid's, else the one it is in).
    public func county(of c: Case) -> String? { counties.code(grid: c.gridCode, at: c.position) }

    /// Sends a new case of a category that a unit's rule routes to that unit (a committee leads it).
    /// Returns the unit, for the case's events.
    func routeByRule(_ c: inout Case) -> HandlingUnit? {
        guard let u = units.route(c.category, gridCode: c.gridCode, county: county(of: c)) else { return nil }
        hand(&c, to: u)
        return u
    }

    /// Makes a unit the one that leads a case (no worker: the unit's desk takes it).
    func hand(_ c: inout Case, to u: HandlingUnit) {
        c.level = u.level
        c.unit = u.code
        c.workerID = nil
        c.unlocated = false
    }

    /// The grid at a WGS84 place, its worker on duty (else its leader), and the unit a case there
    /// goes to: the grid, else the town centre; in no grid, the county centre's queue.
    public func placement(of p: Position, at now: Date = Date()) -> Placement {
        placement(in: layer.grid(at: p), near: p, at: now)
    }

    /// The same for a grid found otherwise (the one a camera looks at); in none, the queue of the
    /// county `p` is in.
    public func placement(in grid: Grid?, near p: Position?, at now: Date = Date()) -> Placement {
        guard let grid else { return Placement(grid: nil, onDuty: nil, leader: nil, unit: countyUnit(gridCode: nil, at: p)) }
        let roster = rosters[grid.code]
        let onDuty = roster?.onDuty(at: now)
        return Placement(grid: grid, onDuty: onDuty, leader: roster?.leader,
                         unit: onDuty != nil ? "grid:\(grid.code)" : townUnit(of: grid.code, at: p).1)
    }

    /// Grid and assignee by location: the grid worker on duty, else the town centre; in no grid,
    /// the county centre's queue (`unlocated`).
    public func place(_ c: inout Case, now: Date) throws {
        try place(&c, now: now, in: layer.grid(at: c.position))
    }

    /// The same, in a grid found otherwise (a camera's case: the grid it looks at).
    public func place(_ c: inout Case, now: Date, in grid: Grid?) throws {
        let here = placement(in: grid, near: c.position, at: now)
        guard let grid = here.grid else {
            c.gridCode = nil
            c.unlocated = true
            c.level = .county
            c.unit = here.unit
            c.workerID = nil
            return
        }
        c.gridCode = grid.code
        c.unlocated = false
        if let w = here.onDuty {
            c.level = .grid
            c.unit = here.unit
            c.workerID = w.id
        } else {
            try route(&c, to: .town, now: now)
        }
    }

    /// The town centre of a grid's town, or the county centre for a code with no town in it.
    func townUnit(of gridCode: String, at p: Position? = nil) -> (Case.Level, String) {
        gridCode.count >= 9 ? (.town, "town:\(gridCode.prefix(9))") : (.county, countyUnit(gridCode: nil, at: p))
    }

    /// Sends a case to a level's unit (no worker: the unit's centre takes it; at the grid level,
    /// the worker on duty then).
    public func route(_ c: inout Case, to level: Case.Level, now: Date) throws {
        c.level = level
        c.workerID = nil
        switch level {
        case .grid:
            guard let g = c.gridCode else { throw CaseError(.conflict, "the case is in no grid") }
            c.unit = "grid:\(g)"
            c.workerID = rosters[g]?.onDuty(at: now)?.id
        case .village:
            guard let g = c.gridCode, g.count == 15 else { throw CaseError(.conflict, "the case is in no village") }
            c.unit = "village:\(g.prefix(12))"
        case .town:
            (c.level, c.unit) = townUnit(of: c.gridCode ?? "", at: c.position)
        case .county: c.unit = countyUnit(gridCode: c.gridCode, at: c.position)
        case .arbitration: c.unit = "arbitration"
        case .court: c.unit = "court"
        }
    }
}

/// The names people use for handling units, from the county's boundaries. A value, shared freely.
public struct UnitNames: Sendable {
    private let names: [String: String]
    /// Committees' and departments' names by their unit codes.
    private let units: [String: String]

    public init(boundaries: [Boundary], units: [HandlingUnit] = []) {
        names = Dictionary(boundaries.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        self.units = Dictionary(units.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
    }

    /// The plain name of a county, town or village code.
    public subscript(code code: String) -> String? { names[code] }

    /// `grid:511725001001004` → "渠江街道 网格 511725001001004"; `town:511725001` → "渠江街道 综治中心".
    public func name(_ unit: String) -> String {
        if let n = units[unit] { return n }
        let parts = unit.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return unit == "court" ? "人民法院 (court)" : unit == "arbitration" ? "仲裁委员会 (arbitration)" : unit }
        let code = parts[1]
        switch parts[0] {
        case "grid": return "\(names[String(code.prefix(9))] ?? "") 网格 \(code)".trimmingCharacters(in: .whitespaces)
        case "village": return "\(names[code] ?? code) (村/社区)"
        case "town": return "\(names[code] ?? code) 综治中心"
        case "county": return "\(names[code] ?? code) 县综治中心"
        default: return unit
        }
    }
}

/// Where a place falls and who would take a case there now.
public struct Placement: Sendable {
    public var grid: Grid?
    /// The worker whose shift covers the time, else the grid leader.
    public var onDuty: Worker?
    public var leader: Worker?
    /// The unit a case there goes to: the grid, else the town centre, else the county's queue.
    public var unit: String
}
