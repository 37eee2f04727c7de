/// Simplifies a coverage (polygons that tile an area, like grids or villages) for display at a map
/// zoom, so that neighbours still meet: every stretch of boundary shared by the same polygons is
/// simplified once (Douglas–Peucker, in one canonical direction) and both sides use the result.
/// Points where the set of polygons along the boundary changes (three-grid corners, the county's
/// edge) are kept. Douglas–Peucker alone can cut a corner across a neighbouring stretch or fold a
/// ring flat, so kept segments that cross, touch or overlap another are refined (their farthest
/// dropped point is put back) until none do. Planar, in the coordinates' own units (degrees).
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
    /// A stretch of boundary in its canonical direction, with the vertices kept so far.
    private struct Stretch {
        let points: [Position]
        var keep: [Bool]
    }
    /// One piece of a ring: a stretch, walked forwards or backwards.
    private struct Part { let stretch: Int; let reversed: Bool }

    /// Each feature is a list of polygons (a multipolygon); the result has the same shape.
    public func simplify(_ features: [[Polygon]]) -> [[Polygon]] {
        guard tolerance > 0 else { return features }
        var rings: [[Position]] = []
        for f in features { for p in f { for r in p.rings { rings.append(r) } } }
        // Which rings use each edge.
        var users: [Edge: [Int]] = [:]
        for (id, r) in rings.enumerated() where r.count >= 4 {
            for k in 0..<(r.count - 1) {
                let e = Edge(Key(r[k]), Key(r[k + 1]))
                if users[e]?.last != id { users[e, default: []].append(id) }
            }
        }
        var stretches: [Stretch] = []
        var index: [[Key]: Int] = [:]
        let parts: [[Part]?] = rings.map { r in
            guard r.count >= 4 else { return nil }
            return split(r, users: users).map { chain in
                let keys = chain.map(Key.init)
                let forward = keys.first! < keys.last!
                    || (keys.first! == keys.last! && (keys.count < 3 || keys[1] < keys[keys.count - 2]))
                let canonical = forward ? keys : keys.reversed()
                if let s = index[canonical] { return Part(stretch: s, reversed: !forward) }
                let points = forward ? chain : chain.reversed()
                index[canonical] = stretches.count
                stretches.append(Stretch(points: points, keep: douglasPeucker(points)))
                return Part(stretch: stretches.count - 1, reversed: !forward)
            }
        }
        while refineConflicts(&stretches) {}
        var k = 0
        return features.map { f in
            f.map { p in
                Polygon(p.rings.map { _ in
                    defer { k += 1 }
                    guard let ring = parts[k] else { return rings[k] }
                    return assemble(ring, stretches)
                })
            }
        }
    }

    /// The ring cut at its nodes (where the polygons along it change) into chains, each with both ends.
    private func split(_ r: [Position], users: [Edge: [Int]]) -> [[Position]] {
        let n = r.count - 1   // distinct vertices; r[n] == r[0]
        func edgeUsers(_ k: Int) -> [Int] { users[Edge(Key(r[k % n]), Key(r[(k + 1) % n]))] ?? [] }
        var nodes: [Int] = []
        for k in 0..<n where edgeUsers((k + n - 1) % n) != edgeUsers(k) { nodes.append(k) }
        if nodes.isEmpty {
            // No neighbour changes along the ring: start at its smallest vertex (the same for every
            // ring that shares it), where both directions meet.
            nodes = [(0..<n).min { Key(r[$0]) < Key(r[$1]) }!]
        }
        return nodes.enumerated().map { i, a in
            let b = i + 1 < nodes.count ? nodes[i + 1] : nodes[0] + n
            return (a...b).map { r[$0 % n] }
        }
    }

    private func assemble(_ parts: [Part], _ stretches: [Stretch]) -> [Position] {
        var ring: [Position] = []
        for part in parts {
            let s = stretches[part.stretch]
            var kept = s.points.indices.filter { s.keep[$0] }.map { s.points[$0] }
            if part.reversed { kept.reverse() }
            ring.append(contentsOf: ring.isEmpty ? kept[...] : kept.dropFirst())
        }
        if ring.first != ring.last, let f = ring.first { ring.append(f) }
        return ring
    }

    /// A kept segment: points[from] to points[to] of a stretch.
    private struct Segment {
        let stretch: Int, from: Int, to: Int
        let p: Position, q: Position
        var minX: Double { min(p.lon, q.lon) }
        var maxX: Double { max(p.lon, q.lon) }
    }

    /// Puts back the farthest dropped point of every kept segment that conflicts with another;
    /// true if anything changed. Segments of the input never gain points, so this ends.
    private func refineConflicts(_ stretches: inout [Stretch]) -> Bool {
        var segments: [Segment] = []
        for (s, st) in stretches.enumerated() {
            var last = 0
            for k in 1..<st.points.count where st.keep[k] {
                segments.append(Segment(stretch: s, from: last, to: k, p: st.points[last], q: st.points[k]))
                last = k
            }
        }
        // Sweep along x: only segments whose x ranges overlap can meet.
        segments.sort { $0.minX < $1.minX }
        var refine = Set<Int>()   // indexes into segments
        for i in segments.indices {
            let a = segments[i], aMaxX = a.maxX
            var j = i + 1
            while j < segments.count, segments[j].minX <= aMaxX {
                let b = segments[j]
                if Self.conflict(a.p, a.q, b.p, b.q) { refine.insert(i); refine.insert(j) }
                j += 1
            }
        }
        var changed = false
        for i in refine {
            let seg = segments[i]
            guard seg.to > seg.from + 1 else { continue }
            let points = stretches[seg.stretch].points
            let far = ((seg.from + 1)..<seg.to).max {
                segmentDistance2(points[$0], seg.p, seg.q) < segmentDistance2(points[$1], seg.p, seg.q)
            }!
            stretches[seg.stretch].keep[far] = true
            changed = true
        }
        return changed
    }

    /// Whether two segments of a coverage's boundary meet other than end to end: they cross, one
    /// touches the other's inside, they overlap along a line, or they are the same segment twice.
    static func conflict(_ p1: Position, _ p2: Position, _ q1: Position, _ q2: Position) -> Bool {
        guard max(p1.lat, p2.lat) >= min(q1.lat, q2.lat), max(q1.lat, q2.lat) >= min(p1.lat, p2.lat),
              max(p1.lon, p2.lon) >= min(q1.lon, q2.lon), max(q1.lon, q2.lon) >= min(p1.lon, p2.lon)
        else { return false }
        let shared = [(p1, q1, p2, q2), (p1, q2, p2, q1), (p2, q1, p1, q2), (p2, q2, p1, q1)].filter { $0.0 == $0.1 }
        if shared.count >= 2 { return true }   // the same segment (a ring folded flat)
        if let (o, _, a, b) = shared.first {
            // Meeting at an end is fine unless they run along each other from there.
            return orient(o, a, b) == 0 && (a.lon - o.lon) * (b.lon - o.lon) + (a.lat - o.lat) * (b.lat - o.lat) > 0
        }
        let d1 = orient(p1, p2, q1), d2 = orient(p1, p2, q2), d3 = orient(q1, q2, p1), d4 = orient(q1, q2, p2)
        if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) { return true }
        return (d1 == 0 && onSegment(q1, p1, p2)) || (d2 == 0 && onSegment(q2, p1, p2))
            || (d3 == 0 && onSegment(p1, q1, q2)) || (d4 == 0 && onSegment(p2, q1, q2))
    }

    private static func orient(_ a: Position, _ b: Position, _ c: Position) -> Double {
        (b.lon - a.lon) * (c.lat - a.lat) - (b.lat - a.lat) * (c.lon - a.lon)
    }

    /// For a point already known to be on the segment's line: is it within the segment's box?
    private static func onSegment(_ p: Position, _ a: Position, _ b: Position) -> Bool {
        min(a.lon, b.lon) <= p.lon && p.lon <= max(a.lon, b.lon) && min(a.lat, b.lat) <= p.lat && p.lat <= max(a.lat, b.lat)
    }

    /// Douglas–Peucker over a chain, as a mask of the points kept.
    private func douglasPeucker(_ c: [Position]) -> [Bool] {
        var keep = [Bool](repeating: false, count: c.count)
        keep[0] = true
        keep[c.count - 1] = true
        guard c.count > 2 else { return keep }
        if c.first == c.last {
            let far = (1..<(c.count - 1)).max { distance2(c[$0], c[0]) < distance2(c[$1], c[0]) }!
            keep[far] = true
            mark(c, 0, far, &keep)
            mark(c, far, c.count - 1, &keep)
        } else {
            mark(c, 0, c.count - 1, &keep)
        }
        return keep
    }

    /// Douglas–Peucker keeping both ends; a closed chain (ends equal) is split at its farthest point.
    func simplifyChain(_ c: [Position]) -> [Position] {
        let keep = douglasPeucker(c)
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
