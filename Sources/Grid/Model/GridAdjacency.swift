import Geo

/// Which grids are neighbours: those sharing at least one boundary point (queen contiguity: an
/// edge or a single corner), by GEOS over the grids' own polygons. A value made once per layer.
public struct GridAdjacency: Sendable, Hashable {
    /// For each grid of the layer (in its order), the indices of its neighbours, ascending.
    public let neighbours: [[Int]]

    public init(neighbours: [[Int]]) { self.neighbours = neighbours }

    public init(_ grids: [Grid]) throws(GEOSError) {
        let ctx = GEOSContext()
        let shapes = try grids.map { g throws(GEOSError) in try ctx.shape(.polygon(g.polygon)) }
        let tree = try STRtree(context: ctx)
        var boxes: [BoundingBox] = []
        for (k, s) in shapes.enumerated() {
            guard let box = s.envelope else { boxes.append(BoundingBox(minLon: 0, minLat: 0, maxLon: 0, maxLat: 0)); continue }
            boxes.append(box)
            try tree.insert(box, id: k)
        }
        var out = Array(repeating: [Int](), count: grids.count)
        for k in shapes.indices where shapes[k].envelope != nil {
            let prepared = try shapes[k].prepared()
            for j in try tree.query(boxes[k]) where j > k && prepared.intersects(shapes[j]) {
                out[k].append(j)
                out[j].append(k)
            }
        }
        neighbours = out.map { $0.sorted() }
    }
}
