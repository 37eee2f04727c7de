import Foundation

/// The statistics of emerging hot spots, written from their published definitions: Getis and
/// Ord's Gi* (1992; Ord and Getis 1995), Benjamini and Hochberg's false discovery rate (1995) and
/// the Mann–Kendall trend test (Mann 1945, Kendall 1975). Pure functions over arrays.
public enum SpaceTimeStatistics {
    /// Gi* z-scores of `values` with binary weights over `neighbours` (each list without the unit
    /// itself, which Gi* includes): (Σⱼ wᵢⱼxⱼ − x̄ kᵢ) / (S √((n kᵢ − kᵢ²)/(n − 1))), S the population
    /// standard deviation. Nil where it is undefined (every value equal, or a unit neighbour of all).
    public static func giStar(_ values: [Double], neighbours: [[Int]]) -> [Double?] {
        let n = Double(values.count)
        guard values.count > 1 else { return values.map { _ in nil } }
        var sum = 0.0, squares = 0.0
        for v in values { sum += v; squares += v * v }
        let mean = sum / n
        let variance = squares / n - mean * mean
        guard variance > 0 else { return values.map { _ in nil } }
        let s = variance.squareRoot()
        return values.indices.map { i in
            var local = values[i]
            for j in neighbours[i] { local += values[j] }
            let k = Double(neighbours[i].count + 1)
            let spread = (n * k - k * k) / (n - 1)
            guard spread > 0 else { return nil }
            return (local - mean * k) / (s * spread.squareRoot())
        }
    }

    /// The two-sided p-value of a standard normal z-score.
    public static func twoSided(_ z: Double) -> Double { erfc(abs(z) / 2.0.squareRoot()) }

    /// Which p-values Benjamini–Hochberg rejects at false discovery rate `q`: those at or below
    /// the largest p₍ₖ₎ with p₍ₖ₎ ≤ k q / m (m = the p-values given; nil ones take no part).
    public static func benjaminiHochberg(_ p: [Double?], q: Double = 0.05) -> [Bool] {
        let given = p.enumerated().compactMap { k, v in v.map { (k, $0) } }.sorted { $0.1 < $1.1 }
        let m = Double(given.count)
        var threshold = -1.0
        for (rank, (_, v)) in given.enumerated() where v <= Double(rank + 1) * q / m { threshold = v }
        return p.map { v in v.map { $0 <= threshold } ?? false }
    }

    /// Mann–Kendall's test of a monotonic trend in a series (in its order): Kendall's tau
    /// S / (n(n−1)/2) and the two-sided p-value of S with the continuity correction and the
    /// variance corrected for ties. Nil for fewer than two values.
    public static func mannKendall(_ x: [Double]) -> (tau: Double, p: Double)? {
        let n = x.count
        guard n >= 2 else { return nil }
        var s = 0
        for i in 0..<(n - 1) {
            for j in (i + 1)..<n where x[j] != x[i] { s += x[j] > x[i] ? 1 : -1 }
        }
        var ties: [Double: Int] = [:]
        for v in x { ties[v, default: 0] += 1 }
        let nd = Double(n)
        var variance = nd * (nd - 1) * (2 * nd + 5)
        for t in ties.values where t > 1 { let td = Double(t); variance -= td * (td - 1) * (2 * td + 5) }
        variance /= 18
        let z: Double = s == 0 || variance <= 0 ? 0 : (Double(s) - (s > 0 ? 1 : -1)) / variance.squareRoot()
        return (Double(s) / (nd * (nd - 1) / 2), twoSided(z))
    }
}

/// A grid's pattern over the bins, with the definitions of ArcGIS Pro's Emerging Hot Spot
/// Analysis: "90 %" of the bins, a trend significant at 0.05 (Mann–Kendall on the z-scores).
public enum SpaceTimePattern: String, Sendable, CaseIterable {
    case none
    case newHot = "new_hot", consecutiveHot = "consecutive_hot", intensifyingHot = "intensifying_hot"
    case persistentHot = "persistent_hot", diminishingHot = "diminishing_hot", sporadicHot = "sporadic_hot"
    case oscillatingHot = "oscillating_hot", historicalHot = "historical_hot"
    case newCold = "new_cold", consecutiveCold = "consecutive_cold", intensifyingCold = "intensifying_cold"
    case persistentCold = "persistent_cold", diminishingCold = "diminishing_cold", sporadicCold = "sporadic_cold"
    case oscillatingCold = "oscillating_cold", historicalCold = "historical_cold"

    public static let share = 0.9
    public static let trendLevel = 0.05

    /// - Parameters:
    ///   - hot: per bin, 1 (significant hot spot), −1 (cold spot) or 0.
    ///   - trend: Mann–Kendall on the grid's z-scores.
    public static func classify(_ hot: [Int], trend: (tau: Double, p: Double)?) -> SpaceTimePattern {
        guard let last = hot.last else { return .none }
        if last == 0 {
            if share(of: 1, in: hot) >= Self.share { return .historicalHot }
            if share(of: -1, in: hot) >= Self.share { return .historicalCold }
            return .none
        }
        // Cold spots mirror hot ones: their intensity grows as the z-scores fall.
        let sign = last
        let isHot = sign == 1
        let count = hot.filter { $0 == sign }.count
        if count == 1 { return isHot ? .newHot : .newCold }
        if share(of: sign, in: hot) >= Self.share {
            if let trend, trend.p < trendLevel, trend.tau != 0 {
                let rising = (trend.tau > 0) == isHot
                return rising ? (isHot ? .intensifyingHot : .intensifyingCold) : (isHot ? .diminishingHot : .diminishingCold)
            }
            return isHot ? .persistentHot : .persistentCold
        }
        let run = hot.reversed().prefix { $0 == sign }.count
        if run >= 2 && run == count { return isHot ? .consecutiveHot : .consecutiveCold }
        if hot.contains(-sign) { return isHot ? .oscillatingHot : .oscillatingCold }
        return isHot ? .sporadicHot : .sporadicCold
    }

    static func share(of value: Int, in hot: [Int]) -> Double {
        Double(hot.filter { $0 == value }.count) / Double(hot.count)
    }
}
