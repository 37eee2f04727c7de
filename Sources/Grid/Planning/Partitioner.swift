import Foundation
import Geo

/// Cuts an area (a village or town) into grids inside the household band, with compact shapes.
///
/// Recursive bisection: choose how many grids the households need (about 400 each), then cut the
/// area across its longer side at the point where the households divide in the ratio of the grids
/// on either side, and repeat on both halves. A cut falls between address points, never through
/// one. Each half is `area ∩ half-plane` and `area − that`, so the two sides share exactly the same
/// cut vertices and the grids meet without slivers.
public struct Partitioner {
    public var band: ClosedRange<Int>

    public init(band: ClosedRange<Int> = Grid.householdBand) { self.band = band }

    public struct Piece: Sendable {
        public var polygon: Polygon
        public var households: Int
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let reason: String
        public var description: String { reason }
    }

    /// The grid counts that can hold `households` inside the band, best first: the one leaving the
    /// most room from the band's edges (999 households: three grids of 333, not two of 499.5, which
    /// lumpy addresses could never hit). Empty when no count works (e.g. 520 households: one grid is
    /// too many, two too few).
    public func gridCounts(for households: Int) -> [Int] {
        guard households > 0 else { return [] }
        let kMin = (households + band.upperBound - 1) / band.upperBound
        let kMax = households / band.lowerBound
        guard kMin <= kMax else { return [] }
        func slack(_ k: Int) -> Double {
            let avg = Double(households) / Double(k)
            return min(avg - Double(band.lowerBound), Double(band.upperBound) - avg)
        }
        return (kMin...kMax).sorted { slack($0) > slack($1) }
    }

    public func gridCount(for households: Int) -> Int? { gridCounts(for: households).first }

    /// How far, in households, the best grid count keeps the average grid from the band's edges
    /// (nil when no count works): a measure of how easy the households are to cut.
    public func slack(for households: Int) -> Double? {
        guard let k = gridCount(for: households) else { return nil }
        let avg = Double(households) / Double(k)
        return min(avg - Double(band.lowerBound), Double(band.upperBound) - avg)
    }

    /// - Parameters:
    ///   - area: the parent's polygon.
    ///   - points: address points inside it, each with its household count.
    public func partition(_ area: Polygon, points: [(position: Position, households: Int)],
                          context ctx: GEOSContext) throws -> [Piece] {
        let total = points.reduce(0) { $0 + $1.households }
        let counts = gridCounts(for: total)
        guard !counts.isEmpty else {
            throw Failure(reason: "\(total) households cannot make grids of \(band.lowerBound)–\(band.upperBound) households each")
        }
        if let big = points.max(by: { $0.households < $1.households }), big.households > band.upperBound {
            throw Failure(reason: "an address with \(big.households) households exceeds the band by itself")
        }
        let shape = try ctx.shape(.polygon(area)).snapped()
        var lastError: Error?
        for k in counts.prefix(3) {
            var pieces: [Piece] = []
            var budget = 400   // cut attempts: retries on concave shapes must not multiply without end
            do { try split(shape, points, k, ctx, &pieces, &budget) } catch { lastError = error; continue }
            if let off = pieces.first(where: { !band.contains($0.households) }) {
                lastError = Failure(reason: "the households are too lumpy to cut evenly: a grid would have \(off.households)")
                continue
            }
            return pieces
        }
        throw lastError ?? Failure(reason: "no partition found")
    }

    private func split(_ shape: Shape, _ pts: [(position: Position, households: Int)], _ k: Int,
                       _ ctx: GEOSContext, _ out: inout [Piece], _ budget: inout Int) throws {
        let total = pts.reduce(0) { $0 + $1.households }
        guard k > 1 else {
            guard case .polygon(let p) = shape.geometry else { throw Failure(reason: "a cut produced a multi-part grid") }
            out.append(Piece(polygon: p, households: total))
            return
        }
        guard let box = shape.envelope else { throw Failure(reason: "empty area") }
        let k1 = k / 2
        let target = Double(total) * Double(k1) / Double(k)
        let lonScale = cos((box.minLat + box.maxLat) / 2 * .pi / 180)
        let alongLon = (box.maxLon - box.minLon) * lonScale >= (box.maxLat - box.minLat)
        var lastError: Error = Failure(reason: "no cut divides the households within the band")
        for axisIsLon in [alongLon, !alongLon] {
            let sorted = pts.sorted { axisIsLon ? $0.position.lon < $1.position.lon : $0.position.lat < $1.position.lat }
            func coord(_ i: Int) -> Double { axisIsLon ? sorted[i].position.lon : sorted[i].position.lat }
            // Gaps between distinct coordinates, nearest the target first, among the cuts that leave
            // both sides able to make their grids inside the band. The nearest one that leaves both
            // sides in one piece wins (a concave village may need a cut a little off the target).
            var candidates: [(index: Int, miss: Double)] = []
            var running = 0
            let k2 = k - k1
            for i in 0..<(sorted.count - 1) {
                running += sorted[i].households
                guard coord(i) < coord(i + 1) else { continue }
                let rest = total - running
                guard (k1 * band.lowerBound...k1 * band.upperBound).contains(running),
                      (k2 * band.lowerBound...k2 * band.upperBound).contains(rest) else { continue }
                candidates.append((i, abs(Double(running) - target)))
            }
            candidates.sort { $0.miss < $1.miss }
            for cutAt in candidates.prefix(16).map(\.index) {
                let c = (coord(cutAt) + coord(cutAt + 1)) / 2
                let pad = 1.0
                let half = axisIsLon
                    ? BoundingBox(minLon: box.minLon - pad, minLat: box.minLat - pad, maxLon: c, maxLat: box.maxLat + pad)
                    : BoundingBox(minLon: box.minLon - pad, minLat: box.minLat - pad, maxLon: box.maxLon + pad, maxLat: c)
                budget -= 1
                guard budget >= 0 else { throw Failure(reason: "no partition found within the attempt budget (the area is too contorted)") }
                let mark = out.count
                do {
                    // Snap-rounded, so the rounded cut point leaves no zero-width spike behind.
                    let a = try shape.intersection(try ctx.rectangle(half)).snapped()
                    let b = try shape.difference(a).snapped()
                    guard a.partCount == 1, b.partCount == 1, !a.isEmpty, !b.isEmpty else {
                        lastError = Failure(reason: "no straight cut leaves every grid in one piece here")
                        continue
                    }
                    try split(a, Array(sorted[...cutAt]), k1, ctx, &out, &budget)
                    try split(b, Array(sorted[(cutAt + 1)...]), k - k1, ctx, &out, &budget)
                    return
                } catch {
                    out.removeSubrange(mark...)   // a branch failed: drop what it made, try the next cut
                    lastError = error
                }
            }
        }
        throw lastError
    }
}
