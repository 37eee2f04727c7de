import Foundation
import Geo
import Grid

/// A new dispute as reported: where, what, who.
public struct IntakeRequest: Sendable {
    public enum Location: Sendable {
        /// lon/lat in WGS84 (`.crs84`/`.epsg(4326)`) or GCJ-02.
        case point(Position, CRS)
        case household(Int64)
        case camera(String)
    }
    public var category: Case.Category
    public var channel: Case.Channel
    public var priority: Case.Priority
    public var description: String
    public var location: Location
    public var parties: [Party]

    public init(category: Case.Category, channel: Case.Channel, priority: Case.Priority = .normal, description: String,
                location: Location, parties: [Party] = []) {
        self.category = category
        self.channel = channel
        self.priority = priority
        self.description = description
        self.location = location
        self.parties = parties
    }
}

/// A camera's alert.
public struct AlertRequest: Sendable {
    public static let types = ["crowd_gathering", "fight", "fire_smoke", "flood_level", "intrusion", "traffic_accident", "other"]
    public var cameraID: String
    public var type: String
    public var at: Date
    public var snapshotURL: String?
    public init(cameraID: String, type: String, at: Date, snapshotURL: String? = nil) {
        self.cameraID = cameraID
        self.type = type
        self.at = at
        self.snapshotURL = snapshotURL
    }
}

/// A requested change of state. `target` says where to for escalation (`village`, `town`, `county`,
/// `arbitration`, `court`) and for (re)assignment (`worker:ID`, or a level to hand back down to).
public struct TransitionRequest: Sendable {
    public var to: Case.Status
    public var note: String?
    public var target: String?
    public var rating: Int?
    public init(to: Case.Status, note: String? = nil, target: String? = nil, rating: Int? = nil) {
        self.to = to
        self.note = note
        self.target = target
        self.rating = rating
    }
}

/// Who is acting, and from where (for the append-only history).
public struct Actor: Sendable {
    public var name: String
    public var source: String
    public init(_ name: String, source: String) {
        self.name = name
        self.source = source
    }
}

/// Puts every case on someone who will handle it, by where it happened, and moves it through its
/// lifecycle. Not thread-safe (it owns a database connection and GEOS-free caches): one per task.
public final class Dispatcher {
    public let cases: SpatiaLiteCaseStore
    public let gridStore: SpatiaLiteGridStore
    public private(set) var layer: GridLayer
    private var rosters: [String: DutyRoster]
    private let countyCode: String
    public let unitNames: UnitNames
    /// Rules and settings, read once (they change by migration or by hand, then `reload()`).
    private var deadlines: [String: SpatiaLiteCaseStore.Deadline] = [:]
    private var settings: [String: Double] = [:]
    /// Made at the first intake (a dispatcher that only moves cases does not need it).
    private var openCases: OpenCaseIndex?

    public init(gridStore: SpatiaLiteGridStore) throws {
        self.gridStore = gridStore
        cases = try SpatiaLiteCaseStore(database: gridStore.database)
        layer = GridLayer(grids: try gridStore.grids())
        rosters = try gridStore.rosters()
        let boundaries = try gridStore.boundaries()
        countyCode = boundaries.first { $0.level == .county }?.code ?? layer.grids.first.map { String($0.code.prefix(6)) } ?? "county"
        unitNames = UnitNames(boundaries: boundaries)
    }

    /// A unit as people call it: `grid:511725001001004` → "渠江街道 网格 511725001001004".
    public func unitName(_ unit: String) -> String { unitNames.name(unit) }

    /// Picks up a newly published layer or changed rosters.
    public func reload() throws {
        layer = GridLayer(grids: try gridStore.grids())
        rosters = try gridStore.rosters()
        deadlines = [:]
        settings = [:]
    }

    /// After a transaction that held this dispatcher's writes was rolled back: what it keeps in
    /// memory about stored cases may name cases that are not there.
    public func forgetUncommitted() {
        openCases = nil
    }

    private func deadline(_ c: Case.Category, _ p: Case.Priority) throws -> SpatiaLiteCaseStore.Deadline {
        let key = "\(c.rawValue)/\(p.rawValue)"
        if let d = deadlines[key] { return d }
        let d = try cases.deadline(c, p)
        deadlines[key] = d
        return d
    }

    private func setting(_ key: String) throws -> Double {
        if let v = settings[key] { return v }
        let v = try cases.setting(key)
        settings[key] = v
        return v
    }

    // MARK: intake

    public func intake(_ r: IntakeRequest, actor: Actor, now: Date = Date()) throws -> Case {
        try intake(r, actor: actor, now: now, alert: nil)
    }

    /// `alert`: the camera alert that opens this case, stored with it in the same transaction.
    private func intake(_ r: IntakeRequest, actor: Actor, now: Date, alert: AlertRequest?) throws -> Case {
        let description = r.description.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !description.isEmpty else { throw CaseError(.invalid, "description is empty") }
        guard description.count <= 10_000 else { throw CaseError(.invalid, "description is longer than 10,000 characters") }
        for (k, p) in r.parties.enumerated() where p.name.trimmingCharacters(in: .whitespaces).isEmpty {
            throw CaseError(.invalid, "parties[\(k)].name is empty")
        }
        var householdID: Int64?, cameraID: String?
        let position: Position
        switch r.location {
        case .point(let p, let crs):
            position = try Self.wgs84(p, crs)
        case .household(let id):
            guard let h = try gridStore.database.prepare("SELECT X(geom), Y(geom) FROM households WHERE id = ?").rows([.integer(id)]).first else {
                throw CaseError(.notFound, "unknown household \(id)")
            }
            position = Position(h[0].double ?? 0, h[1].double ?? 0)
            householdID = id
        case .camera(let id):
            guard let c = try gridStore.camera(id: id) else { throw CaseError(.notFound, "unknown camera \(id)") }
            position = c.position
            cameraID = id
        }
        let rule = try deadline(r.category, r.priority)
        var c = Case(id: 0, code: TrackingCode.make(), category: r.category, channel: r.channel, priority: r.priority,
                     description: description, position: position, householdID: householdID, cameraID: cameraID,
                     alertType: nil, alertCount: 0, snapshotURL: nil, gridCode: nil, level: .grid, unit: "", workerID: nil,
                     status: .reported, unlocated: false, overdue: false, groupDispute: false, relatedTo: nil,
                     reportedAt: now, acceptBy: now + rule.accept, arriveBy: rule.arrive.map { now + $0 }, dueAt: now + rule.resolve,
                     acceptedAt: nil, resolvedAt: nil, closedAt: nil, rating: nil)
        if let alert {
            c.alertType = alert.type
            c.alertCount = 1
            c.snapshotURL = alert.snapshotURL
        }
        var events = [CaseEvent(at: now, actor: actor.name, source: actor.source, action: "reported", from: nil, to: .reported,
                                unit: nil, note: r.channel.rawValue)]
        try place(&c, now: now)
        // Related disputes: same category, open, near in place and time.
        let related = try relatedCases(to: c, now: now)
        if let root = related.first {
            c.relatedTo = root.relatedTo ?? root.id
            let parties = try cases.groupPartyCount(root: c.relatedTo!) + r.parties.count
            if parties >= Int(try setting("group_party_threshold")) && !c.unlocated {
                c.groupDispute = true
                if let up = c.level.up { try route(&c, to: up, now: now) }
            }
        }
        if c.unlocated {
            events.append(CaseEvent(at: now, actor: "system", source: "dispatch", action: "queued", from: .reported, to: .reported,
                                    unit: c.unit, note: "location in no grid: county centre queue"))
        } else {
            events.append(CaseEvent(at: now, actor: "system", source: "dispatch", action: "assigned", from: .reported, to: .assigned,
                                    unit: c.unit, note: c.groupDispute ? "group dispute (群体性): one level up" : nil))
            c.status = .assigned
        }
        for attempt in 0..<3 {
            do {
                let (stored, eventIDs) = try cases.insert(c, parties: r.parties, events: events)
                openCases?.added(stored, events: eventIDs)
                return stored
            } catch let e as StoreError where e.reason.contains("UNIQUE") && attempt < 2 {
                c.code = TrackingCode.make()   // a 60-bit code collided: draw again
            }
        }
        throw CaseError(.conflict, "could not store the case")
    }

    public static func wgs84(_ p: Position, _ crs: CRS) throws -> Position {
        guard p.lon.isFinite, p.lat.isFinite, (-180...180).contains(p.lon), (-90...90).contains(p.lat) else {
            throw CaseError(.invalid, "location \(p.lon), \(p.lat) is not a longitude/latitude")
        }
        let w: Position
        switch crs {
        case .gcj02:
            guard let x = try? ChinaOffset.gcj02ToWGS84(p) else { throw CaseError(.invalid, "location \(p.lon), \(p.lat) is outside China, where GCJ-02 is not defined") }
            w = x
        case let c where c.isWGS84LonLat: w = p
        default: throw CaseError(.invalid, "unsupported crs \(crs): use EPSG:4326 (WGS84) or GCJ-02")
        }
        guard ChinaOffset.isInsideChina(w) else { throw CaseError(.invalid, "location \(p.lon), \(p.lat) is outside China") }
        return w
    }

    /// Grid and assignee by location: the grid worker on duty, else the grid leader, else the town
    /// centre; in no grid, the county centre's queue.
    private func place(_ c: inout Case, now: Date) throws {
        let here = placement(of: c.position, at: now)
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
    private func townUnit(of gridCode: String) -> (Case.Level, String) {
        gridCode.count >= 9 ? (.town, "town:\(gridCode.prefix(9))") : (.county, "county:\(countyCode)")
    }

    /// Sends a case to a level's unit (no worker: the unit's centre takes it).
    private func route(_ c: inout Case, to level: Case.Level, now: Date) throws {
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
            (c.level, c.unit) = townUnit(of: c.gridCode ?? "")
        case .county: c.unit = "county:\(countyCode)"
        case .arbitration: c.unit = "arbitration"
        case .court: c.unit = "court"
        }
    }

    /// Open cases of the same category near in place and time, oldest first.
    private func relatedCases(to c: Case, now: Date) throws -> [OpenCaseIndex.Entry] {
        let index = try openCases ?? OpenCaseIndex(store: cases)
        openCases = index
        try index.catchUp(cases)
        return index.near(c.position, category: c.category, since: now - (try setting("related_window_hours")) * 3600,
                          metres: try setting("related_distance_m"))
    }

    // MARK: camera alerts

    /// Opens a case at the camera, or joins the open case of the same camera and type within the
    /// dedupe window. Returns the case and whether it was merged.
    public func alert(_ a: AlertRequest, actor: Actor) throws -> (Case, merged: Bool) {
        guard AlertRequest.types.contains(a.type) else {
            throw CaseError(.invalid, "unknown alert type \(a.type); known: \(AlertRequest.types.joined(separator: ", "))")
        }
        guard let camera = try gridStore.camera(id: a.cameraID) else { throw CaseError(.notFound, "unknown camera \(a.cameraID)") }
        let window = try setting("alert_dedupe_minutes") * 60
        if var open = try cases.openAlert(cameraID: camera.id, type: a.type, since: a.at - window) {
            open.alertCount += 1
            if let url = a.snapshotURL { open.snapshotURL = url }
            try cases.update(open, events: [CaseEvent(at: a.at, actor: actor.name, source: actor.source, action: "alert merged",
                                                      from: open.status, to: open.status, unit: open.unit, note: a.type)])
            return (open, true)
        }
        let urgent = ["fight", "fire_smoke", "flood_level", "crowd_gathering"].contains(a.type)
        let category: Case.Category = a.type == "traffic_accident" ? .traffic : a.type == "fight" ? .neighbour : .other
        let c = try intake(IntakeRequest(category: category, channel: .camera, priority: urgent ? .urgent : .normal,
                                         description: "camera alert: \(a.type) at \(camera.name)", location: .camera(camera.id)),
                           actor: actor, now: a.at, alert: a)
        return (c, false)
    }

    // MARK: lifecycle

    public func transition(caseID: Int64, _ t: TransitionRequest, actor: Actor, now: Date = Date()) throws -> Case {
        guard var c = try cases.find(id: caseID) else { throw CaseError(.notFound, "unknown case \(caseID)") }
        let from = c.status
        guard from.next.contains(t.to) else {
            let allowed = from.next.map(\.rawValue).joined(separator: ", ")
            throw CaseError(.conflict, "case \(caseID) is \(from.rawValue) and cannot become \(t.to.rawValue); allowed: \(allowed.isEmpty ? "none (the case is finished)" : allowed)")
        }
        var note = t.note
        switch t.to {
        case .assigned:
            if let target = t.target, target.hasPrefix("worker:") {
                guard let id = Int64(target.dropFirst(7)),
                      let w = try gridStore.database.prepare("SELECT id FROM workers WHERE id = ?").rows([.integer(id)]).first else {
                    throw CaseError(.notFound, "unknown worker \(target.dropFirst(7))")
                }
                c.workerID = w[0].int
                c.level = .grid
                c.unit = c.gridCode.map { "grid:\($0)" } ?? c.unit
            } else if let target = t.target {
                guard let level = Case.Level(rawValue: target) else { throw CaseError(.invalid, "unknown target \(target)") }
                try route(&c, to: level, now: now)
            } else {
                guard c.gridCode != nil else { throw CaseError(.invalid, "the case is in no grid: give a target (worker:ID, town, county)") }
                try route(&c, to: .grid, now: now)   // handed back down to the grid
                if c.workerID == nil { try route(&c, to: .town, now: now) }
            }
            c.unlocated = false
        case .escalated:
            let level: Case.Level
            if let target = t.target {
                guard let l = Case.Level(rawValue: target), l != .grid else {
                    throw CaseError(.invalid, "escalate to village, town, county, arbitration or court, not \(target)")
                }
                level = l
            } else {
                guard let up = c.level.up else {
                    throw CaseError(.conflict, "case \(caseID) is already with the \(c.level.rawValue); escalate across to arbitration or court")
                }
                level = up
            }
            try route(&c, to: level, now: now)
        case .accepted: c.acceptedAt = now
        case .mediating: break
        case .resolved: c.resolvedAt = now
        case .closed: c.closedAt = now
        case .rated:
            guard let r = t.rating, (1...5).contains(r) else { throw CaseError(.invalid, "a rating from 1 to 5 is required") }
            c.rating = r
            note = note ?? "rating \(r)"
        case .reported: break
        }
        c.status = t.to
        try cases.update(c, events: [CaseEvent(at: now, actor: actor.name, source: actor.source, action: "transition",
                                               from: from, to: t.to, unit: c.unit, note: note)])
        return c
    }

    /// Flags open cases past a deadline; those whose rule says so escalate a level by themselves.
    public func checkOverdue(now: Date = Date()) throws -> [Case] {
        var out: [Case] = []
        for var c in try cases.newlyOverdue(now: now) {
            c.overdue = true
            var events = [CaseEvent(at: now, actor: "system", source: "deadlines", action: "overdue", from: c.status, to: c.status,
                                    unit: c.unit, note: nil)]
            if try deadline(c.category, c.priority).autoEscalate, c.status != .escalated, let up = c.level.up {
                let from = c.status
                try route(&c, to: up, now: now)
                c.status = .escalated
                events.append(CaseEvent(at: now, actor: "system", source: "deadlines", action: "transition", from: from, to: .escalated,
                                        unit: c.unit, note: "overdue: escalated automatically"))
            }
            try cases.update(c, events: events)
            out.append(c)
        }
        return out
    }

    /// The public view by tracking code: status, timeline and handling unit; never names, phones or IDs.
    public func track(code: String) throws -> (Case, [CaseEvent]) {
        guard let c = try cases.find(code: TrackingCode.normalise(code)) else { throw CaseError(.notFound, "no case with code \(code)") }
        return (c, try cases.events(caseID: c.id))
    }
}

/// The names people use for handling units, from the county's boundaries (which do not change
/// while a server runs). A value, shared freely.
public struct UnitNames: Sendable {
    private let names: [String: String]

    public init(boundaries: [Boundary]) {
        names = Dictionary(boundaries.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
    }

    /// `grid:511725001001004` → "渠江街道 网格 511725001001004"; `town:511725001` → "渠江街道 综治中心".
    public func name(_ unit: String) -> String {
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

extension Dispatcher {
    /// The grid at a WGS84 place, its worker on duty (else its leader), and the unit a case there
    /// goes to: the grid, else the town centre; in no grid, the county centre's queue.
    public func placement(of p: Position, at now: Date = Date()) -> Placement {
        guard let grid = layer.grid(at: p) else { return Placement(grid: nil, onDuty: nil, leader: nil, unit: "county:\(countyCode)") }
        let roster = rosters[grid.code]
        let onDuty = roster?.onDuty(at: now)
        return Placement(grid: grid, onDuty: onDuty, leader: roster?.leader,
                         unit: onDuty != nil ? "grid:\(grid.code)" : townUnit(of: grid.code).1)
    }
}
