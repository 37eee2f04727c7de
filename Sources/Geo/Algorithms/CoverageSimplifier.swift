/// Simplifies a coverage (polygons that tile an area, like grids or villages) for display at a map
/// zoom, so that neighbours still meet: every stretch of boundary shared by the same polygons is
/// simplified once (Douglas–Peucker, in one canonical direction) and both sides use the result.
/// Points where the set of polygons along the boundary changes (three-grid corners, the county's
/// edge) are kept. A ring that would collapse keeps its stretches unsimplified, for every polygon
/// that shares them. Planar, in the coordinates' own units (degrees for lon/lat).
public struct CoverageSimplifier {
    public let tolerance: Double

    public init(tolerance: Double) { self.tolerance = tolerance }

    /// Half a 256-pixel web-map tile pixel at `zoom`, in degrees of longitude.
    public init(zoom: Int) { self.init(tolerance: 180.0 / (256.0 * Double(1 << min(max(zoom, 0), 30)))) }

    private struct Key: Hashable, Comparable {
        let x: Double, y: Double
        init(_ p: Position) { x = p.lon; y = p.lat }
        static func < (a: Key, b: Key) -> Bool { a.x != b.x ? a.x < b.x : a.y < b.y }
    }
    private struct Edge: Hashable {
        let a: Key, b: Key
        init(_ p: Key, _ q: Key) { if p < q { a = p; b = q } else { a = q; b = p } }
    }

    /// Each feature is a list of polygons (a multipolygon); the result has the same shape.
    public func simplify(_ features: [[Polygon]]) -> [[Polygon]] {
        guard tolerance > 0 else { return features }
        // Which rings use each edge.
        var users: [Edge: [Int]] = [:]
        var rings: [[Position]] = []
        for f in features { for p in f { for r in p.rings { rings.append(r) } } }
        for (id, r) in rings.enumerated() where r.count >= 4 {
            for k in 0..<(r.count - 1) {
                let e = Edge(Key(r[k]), Key(r[k + 1]))
                if users[e]?.last != id { users[e, default: []].append(id) }
            }
        }
        var pinned = Set<[Key]>()
        var out: [[Position]] = []
        // A collapsed ring pins its stretches (for its neighbours too); two or three passes suffice.
        for _ in 0..<4 {
            var cache: [[Key]: [Position]] = [:]
            var collapsed = false
            out = rings.map { r in
                guard r.count >= 4 else { return r }
                let (ring, stretches) = simplifyRing(r, users: users, pinned: pinned, cache: &cache)
                if Set(ring.dropLast().map(Key.init)).count >= 3 { return ring }
                collapsed = true
                pinned.formUnion(stretches)
                return r
            }
            if !collapsed { break }
        }
        var k = 0
        return features.map { f in
            f.map { p in
                Polygon(p.rings.map { _ in defer { k += 1 }; return out[k] })
            }
        }
    }

    /// The simplified ring and the canonical keys of its stretches.
    private func simplifyRing(_ r: [Position], users: [Edge: [Int]], pinned: Set<[Key]>,
                              cache: inout [[Key]: [Position]]) -> ([Position], [[Key]]) {
        let n = r.count - 1   // distinct vertices; r[n] == r[0]
        func edgeUsers(_ k: Int) -> [Int] { users[Edge(Key(r[k % n]), Key(r[(k + 1) % n]))] ?? [] }
        var nodes: [Int] = []
        for k in 0..<n where edgeUsers((k + n - 1) % n) != edgeUsers(k) { nodes.append(k) }
        if nodes.isEmpty {
            // No neighbour changes along the ring: start at its smallest vertex (the same for every
            // ring that shares it), where both directions meet.
            let start = (0..<n).min { Key(r[$0]) < Key(r[$1]) }!
            nodes = [start]
        }
        var ring: [Position] = []
        var stretches: [[Key]] = []
        for (i, a) in nodes.enumerated() {
            let b = i + 1 < nodes.count ? nodes[i + 1] : nodes[0] + n
            let chain = (a...b).map { r[$0 % n] }
            let keys = chain.map(Key.init)
            let forward = keys.first! < keys.last! || (keys.first! == keys.last! && (keys.count < 3 || keys[1] < keys[keys.count - 2]))
            let canonical = forward ? keys : keys.reversed()
            stretches.append(canonical)
            var kept: [Position]
            if let c = cache[canonical] { kept = c }
            else {
                let oriented = forward ? chain : chain.reversed()
                kept = pinned.contains(canonical) ? oriented : simplifyChain(oriented)
                cache[canonical] = kept
            }
            if !forward { kept.reverse() }
            ring.append(contentsOf: ring.isEmpty ? kept[...] : kept.dropFirst())
        }
        if ring.first != ring.last, let f = ring.first { ring.append(f) }
        return (ring, stretches)
    }

    /// Douglas–Peucker keeping both ends; a closed chain (ends equal) is split at its farthest point.
    func simplifyChain(_ c: [Position]) -> [Position] {
        guard c.count > 2 else { return c }
        var keep = [Bool](repeating: false, count: c.count)
        keep[0] = true
        keep[c.count - 1] = true
        if c.first == c.last {
            let far = (1..<(c.count - 1)).max { distance2(c[$0], c[0]) < distance2(c[$1], c[0]) }!
            keep[far] = true
            mark(c, 0, far, &keep)
            mark(c, far, c.count - 1, &keep)
        } else {
            mark(c, 0, c.count - 1, &keep)
        }
        return c.indices.filter { keep[$0] }.map { c[$0] }
    }

    private func mark(_ c: [Position], _ i: Int, _ j: Int, _ keep: inout [Bool]) {
        var stack = [(i, j)]
        let t2 = tolerance * tolerance
        while let (a, b) = stack.popLast() {
            guard b > a + 1 else { continue }
            var best = -1.0, at = a
            for k in (a + 1)..<b {
                let d = segmentDistance2(c[k], c[a], c[b])
                if d > best { best = d; at = k }
            }
            if best > t2 {
                keep[at] = true
                stack.append((a, at))
                stack.append((at, b))
            }
        }
    }

    private func distance2(_ p: Position, _ q: Position) -> Double {
        (p.lon - q.lon) * (p.lon - q.lon) + (p.lat - q.lat) * (p.lat - q.lat)
    }

    private func segmentDistance2(_ p: Position, _ a: Position, _ b: Position) -> Double {
        let dx = b.lon - a.lon, dy = b.lat - a.lat
        let len2 = dx * dx + dy * dy
        guard len2 > 0 else { return distance2(p, a) }
        let t = max(0, min(1, ((p.lon - a.lon) * dx + (p.lat - a.lat) * dy) / len2))
        return distance2(p, Position(a.lon + t * dx, a.lat + t * dy))
    }
}

extension Polygon {
    /// True when the polygon (its area, holes excluded) and the box share any point.
    public func intersects(_ box: BoundingBox) -> Bool {
        let ext = exterior
        guard ext.count >= 4 else { return false }
        var b = BoundingBox(minLon: ext[0].lon, minLat: ext[0].lat, maxLon: ext[0].lon, maxLat: ext[0].lat)
        for p in ext { b.extend(p) }
        guard b.intersects(box) else { return false }
        // A vertex inside the box, or a boundary edge crossing it.
        for ring in rings {
            for k in 0..<(ring.count - 1) where Self.segment(ring[k], ring[k + 1], meets: box) { return true }
        }
        // Otherwise the box is wholly inside or wholly outside: test one corner.
        return contains(Position(box.minLon, box.minLat))
    }

    /// Even-odd point-in-polygon over all rings (boundary points may fall either way).
    public func contains(_ p: Position) -> Bool {
        var inside = false
        for ring in rings {
            var j = ring.count - 1
            for i in 0..<ring.count {
                let a = ring[i], c = ring[j]
                if (a.lat > p.lat) != (c.lat > p.lat), p.lon < (c.lon - a.lon) * (p.lat - a.lat) / (c.lat - a.lat) + a.lon {
                    inside.toggle()
                }
                j = i
            }
        }
        return inside
    }

    /// Liang–Barsky clipping: does segment p→q have a point inside the box?
    static func segment(_ p: Position, _ q: Position, meets box: BoundingBox) -> Bool {
        var t0 = 0.0, t1 = 1.0
        let dx = q.lon - p.lon, dy = q.lat - p.lat
        for (num, den) in [(p.lon - box.minLon, -dx), (box.maxLon - p.lon, dx), (p.lat - box.minLat, -dy), (box.maxLat - p.lat, dy)] {
            if den == 0 { if num < 0 { return false } ; continue }
            let t = num / den
            if den < 0 { t0 = max(t0, t) } else { t1 = min(t1, t) }
            if t0 > t1 { return false }
        }
        return true
    }
}
