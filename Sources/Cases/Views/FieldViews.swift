import Foundation
import Geo
import Grid

/// What a track upload did (`POST /api/workers/{id}/tracks`, `wangge tracks import`).
public struct TrackImportView: DocumentedShape, Sendable {
    public struct Dropped: Encodable, Sendable {
        var too_fast: Int
        var repeated_time: Int
    }
    var worker_id: Int64
    var kept: Int
    var dropped: Dropped
    var first: String?
    var last: String?

    public init(_ r: TrackImport, worker: Int64) {
        worker_id = worker
        kept = r.kept
        dropped = Dropped(too_fast: r.tooFast, repeated_time: r.repeatedTime)
        first = r.first.map(ChinaTime.text)
        last = r.last.map(ChinaTime.text)
    }

    public static var examples: [TrackImportView] {
        [TrackImportView(TrackImport(kept: 2, tooFast: 1, repeatedTime: 1, first: Date(timeIntervalSince1970: 0), last: Date(timeIntervalSince1970: 60)), worker: 7),
         TrackImportView(TrackImport(kept: 0, tooFast: 0, repeatedTime: 0), worker: 7)]
    }
}

/// A worker's track of one China-time day as GeoJSON: a LineString of the kept fixes (a Point when
/// there is one), with their times.
public struct WorkerDayTrack: Sendable {
    public var worker: Int64
    public var day: String
    public var fixes: [TrackFix]
    public init(worker: Int64, day: String, fixes: [TrackFix]) {
        self.worker = worker
        self.day = day
        self.fixes = fixes
    }

    /// - Parameter gcj02: coordinates shifted to GCJ-02 (for a map over Amap or Tencent tiles).
    public func geoJSON(gcj02: Bool = false) -> String {
        var features: [Feature] = []
        if let first = fixes.first, let last = fixes.last {
            let ps = fixes.map { gcj02 ? ((try? ChinaOffset.wgs84ToGCJ02($0.position)) ?? $0.position) : $0.position }
            let geometry: Geometry = fixes.count == 1 ? .point(ps[0]) : .lineString(ps)
            features.append(Feature(id: .string("\(worker)-\(day)"), geometry: geometry, properties: JSONObject([
                ("worker_id", .integer(worker)), ("day", .string(day)), ("fixes", .integer(Int64(fixes.count))),
                ("first", .string(ChinaTime.text(first.at))), ("last", .string(ChinaTime.text(last.at))),
                ("times", .array(fixes.map { .string(ChinaTime.text($0.at)) })),
            ])))
        }
        return GeoJSONWriter(precision: 7).string(.featureCollection(FeatureCollection(features)))
    }
}

/// A day's patrol figures (`GET /api/patrol`, `wangge patrol`): one list, by grid, worker or town.
/// Without `detail` (viewers) only per-grid and per-town figures are given: no workers, pass times
/// or key households.
public struct PatrolView: DocumentedShape, Sendable {
    public enum By: String, Sendable, CaseIterable { case grid, worker, town }
    public struct Pass: Encodable, Sendable {
        var start: String
        var end: String
        init(_ d: DateInterval) { start = ChinaTime.text(d.start); end = ChinaTime.text(d.end) }
    }
    public struct GridRow: Encodable, Sendable {
        var grid_id: String
        var name: String
        var town_code: String?
        var households: Int
        var covered_households: Int
        var coverage: Double
        var passes: Int
        var morning_pass: Bool
        var afternoon_pass: Bool
        /// 半日1巡: a morning and an afternoon pass.
        var half_daily: Bool
        var flags: [String]
        var pass_times: [Pass]?
        var workers: [Int64]?
        var key_households: Int?
        var key_households_due: [Int64]?
    }
    public struct WorkerRow: Encodable, Sendable {
        var worker_id: Int64
        var name: String
        var role: String
        var grids: [String]
        var passes: Int
        var morning_pass: Bool
        var afternoon_pass: Bool
        var visits: Int
        var reports_this_week: Int
        var key_households_due: [Int64]
        var flags: [String]
        var pass_times: [Pass]
    }
    public struct TownRow: Encodable, Sendable {
        var town_code: String
        var name: String?
        var grids: Int
        var grids_half_daily: Int
        var grids_without_morning_pass: Int
        var grids_without_afternoon_pass: Int
        var households: Int
        var covered_households: Int
        var coverage: Double
        var workers: Int?
        var workers_under_visits: Int?
        var workers_under_reports: Int?
        var key_households: Int?
        var key_households_due: Int?
    }
    public struct Rules: Encodable, Sendable {
        var pass_minutes = Int(PatrolRules.passMinimum / 60)
        var morning_before = "12:00"
        var coverage_radius_m = PatrolRules.coverageRadius
        var segment_gap_minutes = Int(PatrolRules.segmentGap / 60)
        var visit_radius_m = PatrolRules.visitRadius
        var visit_minutes = Int(PatrolRules.visitMinimum / 60)
        var visits_per_day = PatrolRules.visitsPerDay
        var reports_per_week = PatrolRules.reportsPerWeek
        var key_visits_per_month = PatrolRules.keyVisitsPerMonth
    }
    var date: String
    var by: String
    var week: [String]
    var month_from: String
    var rules = Rules()
    var grids: [GridRow]?
    var workers: [WorkerRow]?
    var towns: [TownRow]?

    public init(_ f: PatrolFigures, by: By, detail: Bool, names: UnitNames) {
        date = f.day
        self.by = by.rawValue
        week = [f.weekFirst, f.weekLast]
        month_from = f.monthFirst
        switch by {
        case .grid: grids = f.grids.map { Self.row($0, detail: detail) }
        case .worker: workers = f.workers.map(Self.row)
        case .town: towns = f.towns.map { Self.row($0, detail: detail, names: names) }
        }
    }

    /// The schema of the answers as sent (without their null members).
    public static var schema: JSONValue { JSONSchema.inferred(from: examples.map { (try? $0.json()) ?? .null }) }

    /// The answer as sent: what the caller may not see is left out rather than null.
    public func json() throws -> JSONValue { Self.dropNulls(try JSONValueEncoder().encode(self)) }

    static func dropNulls(_ v: JSONValue) -> JSONValue {
        switch v {
        case .object(let o): return .object(JSONObject(o.members.compactMap { $0.value == .null ? nil : ($0.key, dropNulls($0.value)) }))
        case .array(let a): return .array(a.map(dropNulls))
        default: return v
        }
    }

    static func coverage(_ covered: Int, of households: Int) -> Double {
        households > 0 ? (min(1, Double(covered) / Double(households)) * 1000).rounded() / 1000 : 0
    }

    static func row(_ g: PatrolFigures.GridRow, detail: Bool) -> GridRow {
        var flags: [String] = []
        if !g.morning { flags.append("no_morning_pass") }
        if !g.afternoon { flags.append("no_afternoon_pass") }
        if detail, !g.keyDue.isEmpty { flags.append("key_households_due") }
        return GridRow(grid_id: g.grid.code, name: g.grid.name, town_code: g.grid.townCode, households: g.grid.households,
                       covered_households: g.coveredHouseholds, coverage: coverage(g.coveredHouseholds, of: g.grid.households),
                       passes: g.passes.count, morning_pass: g.morning, afternoon_pass: g.afternoon, half_daily: g.morning && g.afternoon,
                       flags: flags, pass_times: detail ? g.passes.map(Pass.init) : nil, workers: detail ? g.workers : nil,
                       key_households: detail ? g.keyHouseholds : nil, key_households_due: detail ? g.keyDue : nil)
    }

    static func row(_ w: PatrolFigures.WorkerRow) -> WorkerRow {
        var flags: [String] = []
        if w.visits < PatrolRules.visitsPerDay { flags.append("visits_under_\(PatrolRules.visitsPerDay)") }
        if w.reportsThisWeek < PatrolRules.reportsPerWeek { flags.append("reports_under_\(PatrolRules.reportsPerWeek)") }
        if !w.keyDue.isEmpty { flags.append("key_households_due") }
        return WorkerRow(worker_id: w.worker.id, name: w.worker.name, role: w.worker.role.rawValue, grids: w.grids, passes: w.passes.count,
                         morning_pass: w.morning, afternoon_pass: w.afternoon, visits: w.visits, reports_this_week: w.reportsThisWeek,
                         key_households_due: w.keyDue, flags: flags, pass_times: w.passes.map(Pass.init))
    }

    static func row(_ t: PatrolFigures.TownRow, detail: Bool, names: UnitNames) -> TownRow {
        let households = t.grids.reduce(0) { $0 + $1.grid.households }, covered = t.grids.reduce(0) { $0 + $1.coveredHouseholds }
        return TownRow(town_code: t.code, name: names[code: t.code], grids: t.grids.count,
                       grids_half_daily: t.grids.filter { $0.morning && $0.afternoon }.count,
                       grids_without_morning_pass: t.grids.filter { !$0.morning }.count,
                       grids_without_afternoon_pass: t.grids.filter { !$0.afternoon }.count,
                       households: households, covered_households: covered, coverage: coverage(covered, of: households),
                       workers: detail ? t.workers.count : nil,
                       workers_under_visits: detail ? t.workers.filter { $0.visits < PatrolRules.visitsPerDay }.count : nil,
                       workers_under_reports: detail ? t.workers.filter { $0.reportsThisWeek < PatrolRules.reportsPerWeek }.count : nil,
                       key_households: detail ? t.grids.reduce(0) { $0 + $1.keyHouseholds } : nil,
                       key_households_due: detail ? t.grids.reduce(0) { $0 + $1.keyDue.count } : nil)
    }

    public static var examples: [PatrolView] {
        let square = Polygon([[.init(0, 0), .init(1, 0), .init(1, 1), .init(0, 1), .init(0, 0)]])
        let g = Grid(code: "511725001001001", name: "白丰村第1网格", households: 420, polygon: square)
        let pass = DateInterval(start: Date(timeIntervalSince1970: 1_764_550_800), duration: 1800)
        let w = Worker(id: 7, name: "张伟", role: .fullTime, phone: "")
        let gridRow = PatrolFigures.GridRow(grid: g, passes: [pass], coveredHouseholds: 210, workers: [7], keyHouseholds: 3, keyDue: [12])
        let wr = PatrolFigures.WorkerRow(worker: w, grids: [g.code], passes: [pass], visits: 6, reportsThisWeek: 2, keyDue: [12])
        let town = PatrolFigures.TownRow(code: "511725001", grids: [gridRow], workers: [wr])
        let names = UnitNames(boundaries: [])
        func view(_ by: By, _ detail: Bool) -> PatrolView {
            var v = PatrolView(PatrolFigures(day: "2026-12-01", week: try! PatrolWeek(day: "2026-12-01"),
                                             input: .init(grids: [], posts: [], workers: [], patrol: [], visits: [], keyHouseholds: [], reports: [:])),
                               by: by, detail: detail, names: names)
            switch by {
            case .grid: v.grids = [Self.row(gridRow, detail: detail)]
            case .worker: v.workers = [Self.row(wr)]
            case .town: v.towns = [Self.row(town, detail: detail, names: names)]
            }
            return v
        }
        return [view(.grid, true), view(.grid, false), view(.worker, true), view(.town, true), view(.town, false)]
    }
}

/// A worker's position as kept (`POST /api/workers/{id}/position`, WGS84) and until when it counts
/// as fresh for dispatch.
public struct PositionView: DocumentedShape, Sendable {
    var worker_id: Int64
    var at: String
    var lon: Double
    var lat: Double
    var accuracy_m: Double?
    var fresh_until: String

    public init(_ p: WorkerPosition) {
        worker_id = p.workerID
        at = ChinaTime.text(p.at)
        lon = p.position.lon
        lat = p.position.lat
        accuracy_m = p.accuracyM
        fresh_until = ChinaTime.text(p.at + WorkerPosition.freshFor)
    }

    /// The same as a live feed's `position` event.
    public var json: JSONValue { (try? JSONValueEncoder().encode(self)) ?? .null }

    public static var examples: [PositionView] {
        [PositionView(WorkerPosition(workerID: 7, at: Date(timeIntervalSince1970: 1_764_550_800), position: Position(106.97, 30.84), accuracyM: 8)),
         PositionView(WorkerPosition(workerID: 7, at: Date(timeIntervalSince1970: 1_764_550_800), position: Position(106.97, 30.84), accuracyM: nil))]
    }
}

/// Workers' last positions for a dispatch screen (`GET /api/workers/positions`), as GeoJSON points
/// with who, when, and whether the position is still fresh (15 minutes).
public struct WorkerPositionsView: Sendable {
    public var positions: [WorkerPosition]
    public var workers: [Int64: Worker]
    public var grids: [Int64: [String]]
    public var now: Date
    public init(positions: [WorkerPosition], workers: [Int64: Worker], grids: [Int64: [String]], now: Date) {
        self.positions = positions
        self.workers = workers
        self.grids = grids
        self.now = now
    }

    /// - Parameter gcj02: coordinates shifted to GCJ-02 (for a map over Amap or Tencent tiles).
    public func geoJSON(gcj02: Bool = false) -> String {
        let features = positions.map { p in
            Feature(id: .number(Double(p.workerID)), geometry: .point(gcj02 ? ((try? ChinaOffset.wgs84ToGCJ02(p.position)) ?? p.position) : p.position), properties: JSONObject([
                ("worker_id", .integer(p.workerID)), ("name", workers[p.workerID].map { .string($0.name) } ?? .null),
                ("role", workers[p.workerID].map { .string($0.role.rawValue) } ?? .null),
                ("grids", .array((grids[p.workerID] ?? []).map { .string($0) })),
                ("at", .string(ChinaTime.text(p.at))), ("accuracy_m", p.accuracyM.map { .number($0) } ?? .null),
                ("minutes_ago", .integer(Int64(max(0, now.timeIntervalSince(p.at)) / 60))), ("fresh", .bool(p.isFresh(at: now))),
            ]))
        }
        return GeoJSONWriter(precision: 7).string(.featureCollection(FeatureCollection(features)))
    }
}

/// On-duty workers of an urgent case's town by distance (`GET /api/cases/{id}/nearest`), and whom
/// the rule would send now.
public struct NearestView: DocumentedShape, Sendable {
    public struct Row: Encodable, Sendable {
        var worker_id: Int64
        var name: String
        var role: String
        var grid_id: String
        var distance_m: Double?
        var last_seen: String?
        var minutes_ago: Int?
        var fresh: Bool
    }
    var case_id: Int64
    var grid_id: String?
    var workers: [Row]
    var choice: Int64?
    var reason: String

    public init(caseID: Int64, _ n: NearestOnDuty?) {
        case_id = caseID
        grid_id = n?.gridCode
        workers = (n?.candidates ?? []).map { c in
            Row(worker_id: c.worker.id, name: c.worker.name, role: c.worker.role.rawValue, grid_id: c.gridCode,
                distance_m: c.distance.map { $0.rounded() }, last_seen: c.position.map { ChinaTime.text($0.at) },
                minutes_ago: c.position.map { Int(max(0, n!.now.timeIntervalSince($0.at)) / 60) }, fresh: c.fresh)
        }
        if let n {
            let (pick, why) = n.choice()
            choice = pick?.worker.id
            reason = why
        } else {
            reason = "the case is in no grid: the county centre's queue"
        }
    }

    public static var examples: [NearestView] {
        let w = Worker(id: 7, name: "张伟", role: .fullTime, phone: "")
        let square = Polygon([[.init(0, 0), .init(0.01, 0), .init(0.01, 0.01), .init(0, 0.01), .init(0, 0)]])
        let g = Grid(code: "511725001001001", name: "白丰村第1网格", households: 420, polygon: square)
        let now = Date(timeIntervalSince1970: 1_764_550_800)
        let roster = DutyRoster(gridCode: g.code, shifts: [], leader: w, workers: [7: w])
        let t = Territory(layer: GridLayer(grids: [g]), rosters: [g.code: roster], boundaries: [])
        let seen = NearestOnDuty(gridCode: g.code, at: Position(0.005, 0.005), territory: t,
                                 positions: [WorkerPosition(workerID: 7, at: now - 120, position: Position(0.004, 0.005), accuracyM: 5)], now: now)
        let never = NearestOnDuty(gridCode: g.code, at: Position(0.005, 0.005), territory: t, positions: [], now: now)
        return [NearestView(caseID: 1, seen), NearestView(caseID: 2, never), NearestView(caseID: 3, nil)]
    }
}

/// A worker's key households (重点家庭/特殊群体) with their last visit, for the worker's phone
/// (`GET /api/workers/{id}/households`): where each is, when the worker's track last showed a visit
/// (within the 90 days tracks are kept), and whether it still needs its two visits this month.
public struct KeyHouseholdsView: DocumentedShape, Sendable {
    struct Entry: Codable, Sendable {
        var household_id: Int64
        var kind: String
        var grid_id: String
        var address: String
        var location: [Double]
        var last_visit: String?
        var visits_this_month: Int
        var due: Bool
    }
    var worker_id: Int64
    var day: String
    var households: [Entry]

    /// `visits`: the visits of the households (by anyone) over the days kept, any order.
    public init(worker: Int64, day: String, monthFirst: String, households: [(WatchedHousehold, address: String, position: Position)],
                visits: [HouseholdVisit], gcj02: Bool) {
        worker_id = worker
        self.day = day
        var last: [Int64: String] = [:], month: [Int64: Int] = [:]
        for v in visits where v.day <= day {
            if v.day > last[v.householdID] ?? "" { last[v.householdID] = v.day }
            if v.day >= monthFirst { month[v.householdID, default: 0] += 1 }
        }
        self.households = households.map { k, address, p in
            let shown = gcj02 ? ((try? ChinaOffset.wgs84ToGCJ02(p)) ?? p) : p
            let n = month[k.householdID] ?? 0
            return Entry(household_id: k.householdID, kind: k.kind.rawValue, grid_id: k.gridCode ?? "", address: address,
                         location: [shown.lon, shown.lat], last_visit: last[k.householdID], visits_this_month: n,
                         due: n < PatrolRules.keyVisitsPerMonth)
        }
    }

    public static var examples: [KeyHouseholdsView] {
        let k = WatchedHousehold(householdID: 42, kind: .keyFamily, gridCode: "511725001001001")
        return [KeyHouseholdsView(worker: 7, day: "2026-11-23", monthFirst: "2026-11-01", households: [(k, "幸福村3组12号", Position(106.97, 30.84))],
                                  visits: [HouseholdVisit(workerID: 7, householdID: 42, day: "2026-11-20", at: Date(timeIntervalSince1970: 1_763_600_000))], gcj02: false),
                KeyHouseholdsView(worker: 7, day: "2026-11-23", monthFirst: "2026-11-01", households: [(k, "幸福村3组12号", Position(106.97, 30.84))],
                                  visits: [], gcj02: false)]
    }
}
