import Foundation
import Grid

/// Early warnings (预测预警) at a moment: grids where new cases are rising, grids that became new or
/// intensifying hot spots, and open clusters of related disputes close to becoming a group dispute.
public struct EarlyWarnings: Sendable {
    /// Rising: Mann–Kendall on a grid's weekly new cases over this many whole weeks.
    public static let risingWeeks = 12
    public static let risingLevel = 0.05
    /// And at least this many cases in the last four of those weeks: a trend of 0, 0, …, 1, 1 is
    /// "significant" but no warning a desk can act on.
    public static let risingFloor = 3
    /// Hot spots: weekly bins over this many weeks.
    public static let hotSpotWeeks = 52
    /// Hot spots that are emerging: new, a run in the latest weeks after none before, or growing.
    public static let warnedPatterns: Set<SpaceTimePattern> = [.newHot, .consecutiveHot, .intensifyingHot]

    public enum Kind: String, Sendable, CaseIterable {
        /// 案件上升: weekly new cases rising significantly.
        case rising
        /// 新兴/加剧热点: a new or intensifying hot spot.
        case hotSpot = "hot_spot"
        /// 群体性风险: an open cluster of related disputes near the group-dispute threshold.
        case groupRisk = "group_risk"
    }

    public struct Warning: Sendable {
        public var kind: Kind
        public var grid: Grid?
        /// Rising: the weekly counts, oldest first.
        public var weekly: [Int]?
        public var trend: (tau: Double, p: Double)?
        public var pattern: SpaceTimePattern?
        /// Group risk: the cluster's first case, its open cases and their parties.
        public var root: Case?
        public var cases: Int?
        public var parties: Int?
    }

    /// The end of the last whole week and the weeks analysed (China midnight).
    public var asOf: Date
    public var warnings: [Warning]
    /// Every grid's pattern over the hot spot weeks (the map colours grids by it).
    public var patterns: [(grid: Grid, pattern: SpaceTimePattern)]

    /// - Parameters:
    ///   - gridPrefix: an area's grids only (a token limited to an area).
    ///   - area: the clusters an area's units have.
    public static func read(now: Date, grids: [Grid], adjacency: GridAdjacency, gridPrefix: String?, area: Area?,
                            groupThreshold: Int, from store: any CaseStore) throws -> EarlyWarnings {
        let today = ChinaTime.startOfDay(now)
        let year = HotSpotRequest(from: today - Double(hotSpotWeeks * 7) * 86400, to: today, bin: .week)
        let analysis = try EmergingHotSpots.read(year, grids: grids, adjacency: adjacency, gridPrefix: gridPrefix, from: store)
        var out: [Warning] = []
        for g in analysis.grids {
            let weekly = Array(g.counts.suffix(risingWeeks))
            if weekly.suffix(4).reduce(0, +) >= risingFloor,
               let t = SpaceTimeStatistics.mannKendall(weekly.map(Double.init)), t.tau > 0, t.p < risingLevel {
                out.append(Warning(kind: .rising, grid: g.grid, weekly: weekly, trend: t))
            }
            if warnedPatterns.contains(g.pattern) {
                out.append(Warning(kind: .hotSpot, grid: g.grid, trend: g.trend, pattern: g.pattern))
            }
        }
        out += try groupRisks(threshold: groupThreshold, area: area, gridPrefix: gridPrefix, grids: grids, store: store)
        return EarlyWarnings(asOf: today, warnings: out, patterns: analysis.grids.map { ($0.grid, $0.pattern) })
    }

    /// Open clusters of related disputes (a first case and those linked to it) below the
    /// group-dispute threshold of parties (at it, the case that reached it was flagged and went a
    /// level up), with three or more open cases or within two parties of it.
    static func groupRisks(threshold: Int, area: Area?, gridPrefix: String?, grids: [Grid], store: any CaseStore) throws -> [Warning] {
        var members: [Int64: Int] = [:]
        for c in try store.openCases() { members[c.relatedTo ?? c.id, default: 0] += 1 }
        let clusters = members.filter { $0.value >= 2 }
        guard !clusters.isEmpty else { return [] }
        let byCode = Dictionary(grids.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [Warning] = []
        for root in try store.find(ids: clusters.keys.sorted()) {
            if let area, !area.holds(root) { continue }
            if let gridPrefix, !(root.gridCode?.hasPrefix(gridPrefix) ?? false) { continue }
            let open = clusters[root.id] ?? 0
            let parties = try store.groupPartyCount(root: root.id)
            guard parties < threshold, open >= 3 || parties >= threshold - 2 else { continue }
            out.append(Warning(kind: .groupRisk, grid: root.gridCode.flatMap { byCode[$0] }, root: root, cases: open, parties: parties))
        }
        return out.sorted { ($0.parties ?? 0, $0.cases ?? 0) > ($1.parties ?? 0, $1.cases ?? 0) }
    }
}
