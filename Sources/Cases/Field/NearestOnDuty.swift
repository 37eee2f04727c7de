import Foundation
import Geo
import Grid

/// Who goes to an urgent case (突发事件, 3必到): the grid's worker on duty when their last position
/// is fresh and within 3 km of the place, else the nearest worker on duty in the town with a fresh
/// position, else whoever the roster says (the case is then dispatched as any other).
public struct NearestOnDuty: Sendable {
    /// Beyond this the grid's own worker is not the one to send.
    public static let reach = 3000.0

    /// A worker on duty now in one of the town's grids, with their last position.
    public struct Candidate: Sendable {
        public var worker: Worker
        public var gridCode: String
        public var position: WorkerPosition?
        /// Metres from the case (nil without a position).
        public var distance: Double?
        public var fresh: Bool
    }

    /// On-duty workers of the town, fresh positions first by distance, then stale by distance,
    /// then those never seen.
    public let candidates: [Candidate]
    public let gridCode: String
    public let now: Date
    /// Who the roster puts on duty in the case's grid now (else its leader).
    public let gridWorker: Worker?

    public init(gridCode: String, at place: Position, territory: Territory, positions: [WorkerPosition], now: Date) {
        self.gridCode = gridCode
        self.now = now
        gridWorker = territory.rosters[gridCode]?.onDuty(at: now)
        let last = Dictionary(positions.map { ($0.workerID, $0) }, uniquingKeysWith: { a, b in a.at > b.at ? a : b })
        let town = String(gridCode.prefix(9))
        var seen = Set<Int64>(), out: [Candidate] = []
        // The case's grid first, so that a worker on duty in several grids is listed for it.
        let grids = [gridCode] + territory.rosters.keys.filter { $0.hasPrefix(town) && $0 != gridCode }.sorted()
        for g in grids {
            guard let w = territory.rosters[g]?.onDuty(at: now), seen.insert(w.id).inserted else { continue }
            let p = last[w.id]
            out.append(Candidate(worker: w, gridCode: g, position: p, distance: p.map { Geodesy.distance($0.position, place) },
                                 fresh: p?.isFresh(at: now) ?? false))
        }
        candidates = out.sorted { a, b in
            if a.fresh != b.fresh { return a.fresh }
            switch (a.distance, b.distance) {
            case let (x?, y?): return x != y ? x < y : a.worker.id < b.worker.id
            case (_?, nil): return true
            case (nil, _?): return false
            default: return a.worker.id < b.worker.id
            }
        }
    }

    /// The worker to send and why, in the words the `assigned` event keeps; nil when nobody on duty
    /// in the town has a fresh position (the roster's choice stands).
    public func choice() -> (worker: Candidate?, reason: String) {
        let own = gridWorker.flatMap { w in candidates.first { $0.worker.id == w.id } }
        var why: [String] = []
        if let own {
            if own.fresh, let d = own.distance, d <= Self.reach {
                return (own, "urgent: on duty in the grid, last seen \(minutes(own)) ago, \(km(d)) away")
            }
            why.append(own.position == nil ? "on duty in the grid, never seen" :
                       own.fresh ? "on duty in the grid, \(km(own.distance ?? 0)) away (over 3 km)" : "on duty in the grid, last seen \(minutes(own)) ago")
        } else {
            why.append("nobody on duty in the grid")
        }
        guard let nearest = candidates.first(where: { $0.fresh && $0.worker.id != own?.worker.id }), let d = nearest.distance else {
            return (nil, "urgent: " + (why + ["no one on duty in the town seen in the last 15 min"]).joined(separator: "; "))
        }
        return (nearest, "urgent: " + (why + ["nearest on duty \(km(d)) (\(nearest.worker.name), grid \(nearest.gridCode), seen \(minutes(nearest)) ago)"]).joined(separator: "; "))
    }

    func minutes(_ c: Candidate) -> String {
        guard let p = c.position else { return "never" }
        return "\(Int(max(0, now.timeIntervalSince(p.at)) / 60)) min"
    }

    func km(_ metres: Double) -> String { String(format: "%.1f km", metres / 1000) }
}
