import Foundation
import Geo
import Grid

/// The demo's field work: key households (重点家庭, 特殊群体), and a day of patrol tracks for every
/// grid worker — walking their grid from household to household at 3–5 km/h, a fix every 10 s with
/// a few metres of GPS noise, stopping at some households for 3–8 minutes; a morning round from
/// about 8:30 and an afternoon round from about 14:30, which one worker in eight skips.
public struct DemoFieldDay {
    public var seed: UInt64 = 7
    /// The China-time day, `YYYY-MM-DD`.
    public var day: String
    /// No fix after this (today's tracks end now).
    public var until: Date
    /// One household (address point) in this many is a key one.
    public var keyShare = 40

    public init(day: String, until: Date) {
        self.day = day
        self.until = until
    }

    /// The grid workers' tracks, one list per worker, in time order.
    public func tracks(_ r: DemoCounty.Result, layer: GridLayer) throws -> [(worker: Int64, fixes: [TrackFix])] {
        try tracks(households: r.households, posts: r.posts, layer: layer, keys: Set(keyHouseholds(r).keys))
    }

    /// The same from what a database holds (the benchmark walks a stored county).
    /// - Parameter keys: key households, where workers stop more often than elsewhere.
    public func tracks(households: [Household], posts: [GridPost], layer: GridLayer, keys: Set<Int64> = []) throws -> [(worker: Int64, fixes: [TrackFix])] {
        guard let start = ChinaTime.day(day) else { throw CaseError(.invalid, "\(day) is not a day") }
        var rng = SeededRandom(seed: seed ^ UInt64(start.timeIntervalSince1970))
        var homes: [String: [Household]] = [:]
        for h in households { if let g = h.gridCode ?? layer.grid(at: h.position)?.code { homes[g, default: []].append(h) } }
        var out: [(Int64, [TrackFix])] = []
        for post in posts where post.role == .fullTime || post.role == .partTime {
            guard let stops = homes[post.gridCode], stops.count > 1 else { continue }
            // The day's round: 40 to 95 % of the grid's address points.
            let share = 0.4 + rng.unit() * 0.55
            let some = stops.filter { _ in rng.unit() < share }
            guard some.count > 1 else { continue }
            let route = Self.route(some.map(\.position), from: Int(rng.next() % UInt64(some.count)))
            let watched = Set(some.filter { keys.contains($0.id) }.map(\.position))
            let speed = 0.83 + rng.unit() * 0.56          // 3 to 5 km/h
            let stayChance = 0.02 + rng.unit() * 0.08     // some visit more than others
            var fixes: [TrackFix] = []
            var rounds = [(8.5 + rng.unit() * 0.5, 2.5 + rng.unit())]
            if rng.next() % 8 != 0 { rounds.append((14.5 + rng.unit() * 0.5, 2 + rng.unit())) }
            var k = 0
            for (hour, hours) in rounds {
                // Phones record whole seconds.
                var t = Date(timeIntervalSince1970: (start.timeIntervalSince1970 + hour * 3600).rounded())
                let end = t + hours * 3600
                var here = route[k % route.count]
                func fix(_ p: Position) {
                    guard t <= until else { return }
                    let n = Position(p.lon + (rng.unit() - 0.5) * 0.00006, p.lat + (rng.unit() - 0.5) * 0.00006)
                    fixes.append(TrackFix(at: t, position: n))
                }
                while t < end {
                    k += 1
                    let next = route[k % route.count]
                    let steps = max(1, Int((Geodesy.distance(here, next) / (speed * 10)).rounded(.up)))
                    for s in 1...steps where t < end {
                        t += 10
                        let f = Double(s) / Double(steps)
                        fix(Position(here.lon + (next.lon - here.lon) * f, here.lat + (next.lat - here.lat) * f))
                    }
                    here = next
                    if rng.unit() < (watched.contains(here) ? 0.6 : stayChance) {
                        let stay = 180 + rng.unit() * 300
                        let leave = t + stay
                        while t < leave && t < end { t += 10; fix(here) }
                    }
                }
            }
            if !fixes.isEmpty { out.append((post.workerID, fixes)) }
        }
        return out
    }

    /// A walk through every address point: each time the nearest not yet walked to.
    static func route(_ points: [Position], from first: Int) -> [Position] {
        var left = points
        var here = left.remove(at: first)
        var out = [here]
        while !left.isEmpty {
            var best = 0, bestD = Double.infinity
            for (i, p) in left.enumerated() {
                let dx = (p.lon - here.lon) * cos(here.lat * .pi / 180), dy = p.lat - here.lat
                let d = dx * dx + dy * dy
                if d < bestD { bestD = d; best = i }
            }
            here = left.remove(at: best)
            out.append(here)
        }
        return out
    }

    /// One address point in `keyShare`, a third of them special groups.
    public func keyHouseholds(_ r: DemoCounty.Result) -> [Int64: KeyHousehold] {
        var rng = SeededRandom(seed: seed ^ 0x4B45_59)
        var out: [Int64: KeyHousehold] = [:]
        for h in r.households where rng.next() % UInt64(keyShare) == 0 { out[h.id] = rng.next() % 3 == 0 ? .specialGroup : .keyFamily }
        return out
    }

    /// The tracks stored as phones would upload them (the day's patrol worked out with each).
    /// Returns the fixes stored.
    public func install(_ d: Dispatcher, _ r: DemoCounty.Result) throws -> Int {
        var stored = 0
        for (worker, fixes) in try tracks(r, layer: d.territory.layer) {
            stored += try TrackImport.record(fixes, worker: worker, in: d.store, layer: d.territory.layer).kept
        }
        return stored
    }
}
