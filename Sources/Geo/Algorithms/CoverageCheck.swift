/// A quick, exact-in-spirit test that pieces tile an area (micro-grids their grid, grids their
/// village) with nothing over and nothing missing, without overlay.
///
/// Every ring walked counter-clockwise for its shell (clockwise for a hole) bounds its polygon on
/// the left. Over the pieces' edges and the area's edges reversed, every directed edge must cancel
/// against the same edge the other way: then the sum of the pieces' winding numbers equals the
/// area's everywhere, and since each simple piece has winding 0 or 1, every point of the area is
/// in exactly one piece and no point outside is in any. Edges are first split where a vertex of
/// another ring lies on them (within `tolerance`, degrees), so a T-junction — a neighbour's
/// corner in the middle of an edge, which cuts leave behind — still matches.
///
/// `true` means the tiling holds; `false` means the test could not show it (a gap, an overlap, a
/// vertex a little off its neighbour's edge, a piece too intricate for the quick simplicity test):
/// the caller then measures the problems with GEOS. Planar, in the coordinates' own units.
public struct CoverageCheck {
    public let tolerance: Double
    /// Rings longer than this are not tested for simplicity here (the caller's overlay does).
    public let maxRing: Int

    public init(tolerance: Double = 2e-9, maxRing: Int = 400) {
        self.tolerance = tolerance
        self.maxRing = maxRing
    }

    private struct Point: Hashable {
        let x: Double, y: Double
    }

    private struct Edge: Hashable {
        let a: Point, b: Point
    }

    /// Whether `pieces` tile `area`. The pieces must each be one polygon; the area is trusted to be
    /// valid (it is checked as a grid of its own).
    public func tiles(_ area: Polygon, with pieces: [Polygon]) -> Bool {
        guard !pieces.isEmpty else { return false }
        var rings: [[Point]] = []
        for p in pieces {
            guard p.rings.count == 1, let ring = Self.oriented(p.exterior, counterClockwise: true),
                  ring.count <= maxRing, Self.isSimple(ring) else { return false }
            rings.append(ring)
        }
        // The area's rings reversed: its shell clockwise, its holes counter-clockwise.
        for (k, r) in area.rings.enumerated() {
            guard let ring = Self.oriented(r, counterClockwise: k != 0) else { return false }
            rings.append(ring)
        }
        // Vertices sorted by x, to find those lying on an edge.
        var vertices = Array(Set(rings.joined()))
        vertices.sort { $0.x < $1.x }
        var open: [Edge: Int] = [:]
        open.reserveCapacity(vertices.count * 2)
        var between: [Point] = []
        for ring in rings {
            for k in 0..<ring.count {
                let a = ring[k], b = ring[(k + 1) % ring.count]
                between.removeAll(keepingCapacity: true)
                onSegment(a, b, vertices, &between)
                if between.count > 1 {
                    let dx = b.x - a.x, dy = b.y - a.y
                    between.sort { ($0.x - a.x) * dx + ($0.y - a.y) * dy < ($1.x - a.x) * dx + ($1.y - a.y) * dy }
                }
                var from = a
                for v in between + [b] {
                    let back = Edge(a: v, b: from)
                    if let n = open[back] {
                        if n == 1 { open[back] = nil } else { open[back] = n - 1 }
                    } else {
                        open[Edge(a: from, b: v), default: 0] += 1
                    }
                    from = v
                }
            }
        }
        return open.isEmpty
    }

    /// The vertices strictly inside segment a–b, within `tolerance` of it.
    private func onSegment(_ a: Point, _ b: Point, _ vertices: [Point], _ out: inout [Point]) {
        let minX = min(a.x, b.x) - tolerance, maxX = max(a.x, b.x) + tolerance
        let minY = min(a.y, b.y) - tolerance, maxY = max(a.y, b.y) + tolerance
        let dx = b.x - a.x, dy = b.y - a.y
        let length2 = dx * dx + dy * dy
        guard length2 > 0 else { return }
        // The first vertex with x ≥ minX.
        var lo = 0, hi = vertices.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if vertices[mid].x < minX { lo = mid + 1 } else { hi = mid }
        }
        var k = lo
        while k < vertices.count, vertices[k].x <= maxX {
            let v = vertices[k]
            k += 1
            guard v.y >= minY, v.y <= maxY, v != a, v != b else { continue }
            let t = ((v.x - a.x) * dx + (v.y - a.y) * dy) / length2
            guard t > 0, t < 1 else { continue }
            let cross = (v.x - a.x) * dy - (v.y - a.y) * dx
            if cross * cross <= tolerance * tolerance * length2 { out.append(v) }
        }
    }

    /// The ring without its closing point, turned to the orientation asked for; nil when it has
    /// fewer than three distinct points, repeats a point in a row, or has no area.
    private static func oriented(_ ring: [Position], counterClockwise: Bool) -> [Point]? {
        var pts = ring.map { Point(x: $0.lon, y: $0.lat) }
        if pts.count > 1, pts.first == pts.last { pts.removeLast() }
        guard pts.count >= 3 else { return nil }
        for k in 0..<pts.count where pts[k] == pts[(k + 1) % pts.count] { return nil }
        var twiceArea = 0.0
        for k in 0..<pts.count {
            let p = pts[k], q = pts[(k + 1) % pts.count]
            twiceArea += (p.x - pts[0].x) * (q.y - pts[0].y) - (q.x - pts[0].x) * (p.y - pts[0].y)
        }
        guard twiceArea != 0 else { return nil }
        if (twiceArea > 0) != counterClockwise { pts.reverse() }
        return pts
    }

    /// No two edges of the ring meet except neighbours at their shared vertex (exact orientation
    /// tests; collinear overlaps count as meeting).
    private static func isSimple(_ r: [Point]) -> Bool {
        let n = r.count
        for i in 0..<n {
            let a = r[i], b = r[(i + 1) % n]
            let minX = min(a.x, b.x), maxX = max(a.x, b.x), minY = min(a.y, b.y), maxY = max(a.y, b.y)
            for j in (i + 1)..<n {
                let c = r[j], d = r[(j + 1) % n]
                guard max(c.x, d.x) >= minX, min(c.x, d.x) <= maxX, max(c.y, d.y) >= minY, min(c.y, d.y) <= maxY else { continue }
                let adjacent = j == i + 1 || (i == 0 && j == n - 1)
                if adjacent {
                    // Neighbours share one vertex; they must not fold back along each other.
                    let (p, q, s) = j == i + 1 ? (a, b, d) : (c, a, b)
                    if Orientation.sign(p.x, p.y, q.x, q.y, s.x, s.y) == 0,
                       (s.x - q.x) * (p.x - q.x) + (s.y - q.y) * (p.y - q.y) > 0 { return false }
                    continue
                }
                if segmentsMeet(a, b, c, d) { return false }
            }
        }
        return true
    }

    private static func segmentsMeet(_ a: Point, _ b: Point, _ c: Point, _ d: Point) -> Bool {
        let d1 = Orientation.sign(c.x, c.y, d.x, d.y, a.x, a.y), d2 = Orientation.sign(c.x, c.y, d.x, d.y, b.x, b.y)
        let d3 = Orientation.sign(a.x, a.y, b.x, b.y, c.x, c.y), d4 = Orientation.sign(a.x, a.y, b.x, b.y, d.x, d.y)
        if d1 * d2 < 0 && d3 * d4 < 0 { return true }
        func within(_ p: Point, _ q: Point, _ s: Point) -> Bool {
            min(p.x, q.x) <= s.x && s.x <= max(p.x, q.x) && min(p.y, q.y) <= s.y && s.y <= max(p.y, q.y)
        }
        return (d1 == 0 && within(c, d, a)) || (d2 == 0 && within(c, d, b)) || (d3 == 0 && within(a, b, c)) || (d4 == 0 && within(a, b, d))
    }
}
