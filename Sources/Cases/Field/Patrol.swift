import Foundation
import Geo
import Grid

/// The county's "123456" method (半日1巡, visits, reports) as numbers: what a pass, coverage and a
/// visit are. The README states the same definitions.
public enum PatrolRules {
    /// A pass (巡查) is a run of consecutive fixes inside the grid (each less than `segmentGap`
    /// after the one before) lasting at least this long.
    public static let passMinimum: TimeInterval = 600
    /// A pass starting before noon (China time) is a morning pass, otherwise an afternoon one.
    public static let noon: TimeInterval = 12 * 3600
    /// A household counts as covered when the day's track inside its grid comes this close.
    public static let coverageRadius = 50.0
    /// Fixes further apart than this in time are not joined into a track segment.
    public static let segmentGap: TimeInterval = 300
    /// A visit (入户走访) is a stay this close to one household …
    public static let visitRadius = 30.0
    /// … lasting at least this long.
    public static let visitMinimum: TimeInterval = 180
    /// Flags: at least this many visits a day, reports a week, visits to a key household a month.
    public static let visitsPerDay = 5
    public static let reportsPerWeek = 6
    public static let keyVisitsPerMonth = 2
}

/// One grid's share of a worker's day: the passes made in it and the households its track came
/// within 50 m of (ids, with their household counts).
public struct GridPatrol: Sendable, Hashable {
    public var gridCode: String
    public var passes: [DateInterval]
    public var covered: [Int64: Int]
    public init(gridCode: String, passes: [DateInterval], covered: [Int64: Int]) {
        self.gridCode = gridCode
        self.passes = passes
        self.covered = covered
    }
}

/// A stay of a worker at one household on one China day (at most one a household, worker and day).
public struct HouseholdVisit: Sendable, Hashable {
    public var workerID: Int64
    public var householdID: Int64
    public var day: String
    public var at: Date
    public init(workerID: Int64, householdID: Int64, day: String, at: Date) {
        self.workerID = workerID
        self.householdID = householdID
        self.day = day
        self.at = at
    }
}

/// What a worker's track of one China day shows: passes and coverage per grid of theirs, visits to
/// any household. Distances from a household are measured on the tangent plane at that household
/// (WGS84 radii of curvature), exact to millimetres at these ranges.
public struct WorkerPatrol: Sendable {
    public var worker: Int64
    public var day: String
    public var grids: [GridPatrol]
    public var visits: [HouseholdVisit]

    /// - Parameters:
    ///   - fixes: the worker's kept fixes of the day, in time order.
    ///   - grids: the worker's grids (passes and coverage are counted for these only).
    ///   - layer: the live layer, to find the grid each fix is in.
    ///   - households: the address points near the track (at least those within 50 m of it).
    public init(worker: Int64, day: String, fixes: [TrackFix], grids: [Grid], layer: GridLayer, households: [Household]) {
        self.worker = worker
        self.day = day
        let mine = Set(grids.map(\.code))
        // Where each fix is: the code of its grid when it is one of the worker's.
        let inGrid: [String?] = fixes.map { f in layer.grid(at: f.position).map(\.code).flatMap { mine.contains($0) ? $0 : nil } }
        let index = HouseholdIndex(households)
        var passes: [String: [DateInterval]] = [:]
        var covered: [String: [Int64: Int]] = [:]

        // Passes: runs of consecutive fixes in one grid.
        var k = 0
        while k < fixes.count {
            guard let code = inGrid[k] else { k += 1; continue }
            var end = k
            // Consecutive: in the grid, and less than 5 minutes after the previous fix (lunch is no pass).
            while end + 1 < fixes.count, inGrid[end + 1] == code, fixes[end + 1].at.timeIntervalSince(fixes[end].at) < PatrolRules.segmentGap { end += 1 }
            let run = DateInterval(start: fixes[k].at, end: fixes[end].at)
            if run.duration >= PatrolRules.passMinimum { passes[code, default: []].append(run) }
            k = end + 1
        }

        // Coverage: the track inside each grid (a fix there, a segment between two fixes there
        // counted whole, a segment crossing its boundary clipped to it), near the grid's households.
        func cover(_ a: Position, _ b: Position, in code: String) {
            for h in index.near(a, b, within: PatrolRules.coverageRadius) where h.household.gridCode == code && covered[code]?[h.household.id] == nil {
                if h.distance(toSegment: a, b) <= PatrolRules.coverageRadius { covered[code, default: [:]][h.household.id] = h.household.households }
            }
        }
        let byCode = Dictionary(grids.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        for (i, f) in fixes.enumerated() {
            if let code = inGrid[i] { cover(f.position, f.position, in: code) }
            guard i + 1 < fixes.count, fixes[i + 1].at.timeIntervalSince(f.at) < PatrolRules.segmentGap else { continue }
            let a = f.position, b = fixes[i + 1].position
            if let code = inGrid[i], inGrid[i + 1] == code { cover(a, b, in: code); continue }
            // The segment crosses a boundary of (at most two of) the worker's grids.
            for code in Set([inGrid[i], inGrid[i + 1]].compactMap { $0 }) {
                guard let g = byCode[code] else { continue }
                for (p, q) in SegmentClip.inside(a, b, g.polygon) { cover(p, q, in: code) }
            }
        }
        self.grids = grids.map { GridPatrol(gridCode: $0.code, passes: passes[$0.code] ?? [], covered: covered[$0.code] ?? [:]) }

        // Visits: for each household, runs of consecutive fixes within 30 m lasting 3 minutes.
        var open: [Int64: Date] = [:]      // household → start of the current run
        var lastNear: [Int64: Date] = [:]  // household → time of the run's latest fix
        var visited: [Int64: Date] = [:]
        func close(_ id: Int64) {
            if let s = open.removeValue(forKey: id), let e = lastNear.removeValue(forKey: id),
               e.timeIntervalSince(s) >= PatrolRules.visitMinimum, visited[id] == nil { visited[id] = s }
        }
        for f in fixes {
            var here = Set<Int64>()
            for h in index.near(f.position, f.position, within: PatrolRules.visitRadius)
            where h.distance(toSegment: f.position, f.position) <= PatrolRules.visitRadius { here.insert(h.household.id) }
            for id in Array(open.keys) where !here.contains(id) { close(id) }
            for id in here {
                if open[id] == nil { open[id] = f.at }
                lastNear[id] = f.at
            }
        }
        for id in Array(open.keys) { close(id) }
        visits = visited.sorted { $0.value < $1.value }.map { HouseholdVisit(workerID: worker, householdID: $0.key, day: day, at: $0.value) }
    }
}

/// Address points in cells of about 60 m, each with its own tangent plane: which are near a
/// segment, and how far.
struct HouseholdIndex {
    struct Entry {
        let household: Household
        let plane: LocalPlane
        /// Metres from the household to the segment a–b (a point when a == b), on its plane.
        func distance(toSegment a: Position, _ b: Position) -> Double {
            let p = plane.point(a), q = plane.point(b)
            let dx = q.x - p.x, dy = q.y - p.y, len2 = dx * dx + dy * dy
            var t = len2 > 0 ? -(p.x * dx + p.y * dy) / len2 : 0
            t = min(1, max(0, t))
            let x = p.x + t * dx, y = p.y + t * dy
            return (x * x + y * y).squareRoot()
        }
    }
    private struct Cell: Hashable { let x: Int, y: Int }
    private let cells: [Cell: [Int]]
    private let entries: [Entry]
    private let dLon: Double, dLat: Double

    init(_ households: [Household]) {
        entries = households.map { Entry(household: $0, plane: LocalPlane(origin: $0.position)) }
        let lat = households.first?.position.lat ?? 30
        // 60 m cells (more than either radius), in degrees at the first point's latitude; the
        // query below widens by the radius in degrees with a margin, so the cell size only matters
        // for speed.
        dLat = 60 / 110_574.0
        dLon = 60 / (111_320.0 * max(0.2, cos(lat * .pi / 180)))
        var cells: [Cell: [Int]] = [:]
        for (k, e) in entries.enumerated() { cells[Cell(x: Int((e.household.position.lon / dLon).rounded(.down)), y: Int((e.household.position.lat / dLat).rounded(.down))), default: []].append(k) }
        self.cells = cells
    }

    /// Entries possibly within `radius` metres of the segment a–b (a superset).
    func near(_ a: Position, _ b: Position, within radius: Double) -> [Entry] {
        let mLat = radius * 1.01 / 110_574.0, mLon = radius * 1.01 / (111_320.0 * max(0.2, cos(a.lat * .pi / 180)))
        let x0 = Int(((min(a.lon, b.lon) - mLon) / dLon).rounded(.down)), x1 = Int(((max(a.lon, b.lon) + mLon) / dLon).rounded(.down))
        let y0 = Int(((min(a.lat, b.lat) - mLat) / dLat).rounded(.down)), y1 = Int(((max(a.lat, b.lat) + mLat) / dLat).rounded(.down))
        guard x1 - x0 < 200, y1 - y0 < 200 else { return entries }   // a long jump: look at all
        var out: [Entry] = []
        for x in x0...x1 { for y in y0...y1 { if let ks = cells[Cell(x: x, y: y)] { for k in ks { out.append(entries[k]) } } } }
        return out
    }
}

/// The parts of a segment inside a polygon (planar in lon/lat, as the polygon is drawn): cut where
/// it crosses any ring, each piece kept when its middle is inside (even–odd over the rings).
enum SegmentClip {
    static func inside(_ a: Position, _ b: Position, _ polygon: Polygon) -> [(Position, Position)] {
        var ts: [Double] = [0, 1]
        let dx = b.lon - a.lon, dy = b.lat - a.lat
        for ring in polygon.rings where ring.count > 1 {
            for (p, q) in zip(ring, ring.dropFirst()) {
                let ex = q.lon - p.lon, ey = q.lat - p.lat
                let den = dx * ey - dy * ex
                guard den != 0 else { continue }
                let t = ((p.lon - a.lon) * ey - (p.lat - a.lat) * ex) / den
                let u = ((p.lon - a.lon) * dy - (p.lat - a.lat) * dx) / den
                if t > 0, t < 1, u >= 0, u <= 1 { ts.append(t) }
            }
        }
        ts.sort()
        func at(_ t: Double) -> Position { Position(a.lon + t * dx, a.lat + t * dy) }
        var out: [(Position, Position)] = []
        for (s, e) in zip(ts, ts.dropFirst()) where e > s && contains(polygon, at((s + e) / 2)) {
            if let last = out.last, last.1 == at(s) { out[out.count - 1].1 = at(e) } else { out.append((at(s), at(e))) }
        }
        return out
    }

    static func contains(_ polygon: Polygon, _ p: Position) -> Bool {
        var inside = false
        for ring in polygon.rings where ring.count > 2 {
            var j = ring.count - 1
            for i in 0..<ring.count {
                let a = ring[i], b = ring[j]
                if (a.lat > p.lat) != (b.lat > p.lat), p.lon < (b.lon - a.lon) * (p.lat - a.lat) / (b.lat - a.lat) + a.lon { inside.toggle() }
                j = i
            }
        }
        return inside
    }
}

/// How a day's passes and covered households are written in one text column each (both stores):
/// passes as `start-end` epoch seconds, households as `id:households`, comma-separated.
public enum PatrolText {
    public static func passes(_ ps: [DateInterval]) -> String {
        ps.map { "\(Int64($0.start.timeIntervalSince1970.rounded()))-\(Int64($0.end.timeIntervalSince1970.rounded()))" }.joined(separator: ",")
    }
    public static func passes(_ text: String) -> [DateInterval] {
        text.split(separator: ",").compactMap { p in
            let v = p.split(separator: "-").compactMap { Double($0) }
            return v.count == 2 && v[1] >= v[0] ? DateInterval(start: Date(timeIntervalSince1970: v[0]), end: Date(timeIntervalSince1970: v[1])) : nil
        }
    }
    public static func covered(_ c: [Int64: Int]) -> String {
        c.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
    }
    public static func covered(_ text: String) -> [Int64: Int] {
        var out: [Int64: Int] = [:]
        for p in text.split(separator: ",") {
            let v = p.split(separator: ":")
            if v.count == 2, let id = Int64(v[0]), let n = Int(v[1]) { out[id] = n }
        }
        return out
    }
}
