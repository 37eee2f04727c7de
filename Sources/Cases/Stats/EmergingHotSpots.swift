import Foundation
import Grid

/// The length of a time step of a space-time cube.
public enum TimeBin: String, Sendable, CaseIterable {
    case day, week, month
}

/// What hot spots to find: cases reported in [from, to) in bins of `bin` (of one category).
public struct HotSpotRequest: Sendable, Hashable {
    public var from: Date
    public var to: Date
    public var bin: TimeBin
    public var category: Case.Category?
    public static let maxBins = 400

    public init(from: Date, to: Date, bin: TimeBin, category: Case.Category? = nil) {
        self.from = from
        self.to = to
        self.bin = bin
        self.category = category
    }

    /// Consecutive bins from `from`, by China's calendar (a month bin from the 31st ends on the
    /// last day of a shorter month); a last bin that would end after `to` is dropped.
    public func bins() throws -> [DateInterval] {
        guard from < to else { throw CaseError(.invalid, "from must be before to") }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        var out: [DateInterval] = []
        var k = 1
        while true {
            let end: Date? = switch bin {
            case .day: calendar.date(byAdding: .day, value: k, to: from)
            case .week: calendar.date(byAdding: .day, value: 7 * k, to: from)
            case .month: calendar.date(byAdding: .month, value: k, to: from)
            }
            guard let end, end <= to else { break }
            out.append(DateInterval(start: out.last?.end ?? from, end: end))
            guard out.count <= Self.maxBins else {
                throw CaseError(.invalid, "from \(ChinaTime.text(from)) to \(ChinaTime.text(to)) makes more than \(Self.maxBins) bins of a \(bin.rawValue): choose a longer bin or a shorter span")
            }
            k += 1
        }
        guard !out.isEmpty else { throw CaseError(.invalid, "from \(ChinaTime.text(from)) to \(ChinaTime.text(to)) is shorter than one \(bin.rawValue)") }
        return out
    }
}

/// One grid of an emerging hot spot analysis: counts, Gi* and significance per bin, the trend of
/// its z-scores and its pattern.
public struct HotSpotGrid: Sendable {
    public var grid: Grid
    public var counts: [Int]
    /// Nil in a bin where Gi* is undefined (every grid the same count).
    public var z: [Double?]
    public var p: [Double?]
    /// 1 hot spot, −1 cold spot, 0 neither, after the false-discovery-rate correction in the bin.
    public var hot: [Int]
    public var trend: (tau: Double, p: Double)?
    public var pattern: SpaceTimePattern
}

/// Emerging hot spots (新兴热点) over a grid layer: per bin, Getis–Ord Gi* of the cases each grid
/// had, over the grid and its neighbours (binary weights, the grid included), its two-sided
/// p-value, Benjamini–Hochberg at 0.05 within the bin; per grid, Mann–Kendall on its z-scores
/// and ArcGIS's pattern.
public struct EmergingHotSpots: Sendable {
    public static let falseDiscoveryRate = 0.05
    public var bins: [DateInterval]
    public var grids: [HotSpotGrid]

    /// - Parameter counts: per grid (in `grids` order), per bin.
    public init(bins: [DateInterval], grids: [Grid], adjacency: GridAdjacency, counts: [[Int]]) {
        self.bins = bins
        let n = grids.count
        var z = Array(repeating: [Double?](repeating: nil, count: bins.count), count: n)
        var p = z
        var hot = Array(repeating: [Int](repeating: 0, count: bins.count), count: n)
        for b in bins.indices {
            let column = SpaceTimeStatistics.giStar(counts.map { Double($0[b]) }, neighbours: adjacency.neighbours)
            let pv = column.map { $0.map(SpaceTimeStatistics.twoSided) }
            let significant = SpaceTimeStatistics.benjaminiHochberg(pv, q: Self.falseDiscoveryRate)
            for g in 0..<n {
                z[g][b] = column[g]
                p[g][b] = pv[g]
                if significant[g], let zv = column[g] { hot[g][b] = zv > 0 ? 1 : zv < 0 ? -1 : 0 }
            }
        }
        self.grids = (0..<n).map { g in
            let trend = SpaceTimeStatistics.mannKendall(z[g].compactMap { $0 })
            return HotSpotGrid(grid: grids[g], counts: counts[g], z: z[g], p: p[g], hot: hot[g], trend: trend,
                               pattern: SpaceTimePattern.classify(hot[g], trend: trend))
        }
    }

    /// The analysis of a request over the grids of a layer (those whose code starts with
    /// `gridPrefix`: an area's), counting in the store.
    public static func read(_ r: HotSpotRequest, grids: [Grid], adjacency: GridAdjacency, gridPrefix: String? = nil,
                            from store: any CaseStore) throws -> EmergingHotSpots {
        let bins = try r.bins()
        var chosen = Array(grids.indices)
        if let gridPrefix { chosen = chosen.filter { grids[$0].code.hasPrefix(gridPrefix) } }
        // Neighbours within the chosen grids only (an area's analysis stops at its edge).
        let place = Dictionary(uniqueKeysWithValues: chosen.enumerated().map { ($1, $0) })
        let local = GridAdjacency(neighbours: chosen.map { g in adjacency.neighbours[g].compactMap { place[$0] } })
        let row = Dictionary(chosen.enumerated().map { (grids[$1].code, $0) }, uniquingKeysWith: { a, _ in a })
        var counts = Array(repeating: [Int](repeating: 0, count: bins.count), count: chosen.count)
        for c in try store.binnedCounts(bins, category: r.category, gridPrefix: gridPrefix) {
            if let k = row[c.grid], c.bin >= 0, c.bin < bins.count { counts[k][c.bin] += c.count }
        }
        return EmergingHotSpots(bins: bins, grids: chosen.map { grids[$0] }, adjacency: local, counts: counts)
    }
}
