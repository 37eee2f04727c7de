/// Cuts an area into cells around seed points: Voronoi cells clipped to the area, one polygon per
/// seed. A clipped cell can fall into pieces along a concave border; its smaller pieces join the
/// neighbour they share the most edge with, so the cells still cover the area without gaps.
public enum Tessellation {
    /// - Returns: one polygon per seed, in seed order (nil for a seed that got no cell, e.g. a
    ///   duplicate point).
    public static func voronoi(seeds: [Position], within area: [Polygon], context ctx: GEOSContext) throws(GEOSError) -> [Polygon?] {
        let areaShape = try ctx.shape(.multiPolygon(area)).snapped()
        let diagram = try ctx.shape(.multiPoint(seeds)).voronoiCells(envelope: areaShape)
        let cells = diagram.geometry.allPolygons
        let prepared = try areaShape.prepared()
        // GEOS does not keep input order: match each cell to the seed inside it.
        let seedIndex = PointLocator(polygons: cells)
        var main: [Shape?] = Array(repeating: nil, count: seeds.count)
        var orphans: [Shape] = []
        var taken = Set<Int>()
        for (k, s) in seeds.enumerated() {
            guard let c = seedIndex.locate(s.lon, s.lat), taken.insert(c).inserted else { continue }
            let cellShape = try ctx.shape(.polygon(cells[c]))
            let clipped = try (prepared.contains(cellShape) ? cellShape : try cellShape.intersection(areaShape)).snapped()
            let parts = try clipped.geometry.polygons.map { (p) throws(GEOSError) in try ctx.shape(.polygon(p)) }
                .sorted { $0.planarArea > $1.planarArea }
            guard let first = parts.first else { continue }
            main[k] = first
            orphans += parts.dropFirst()
        }
        for o in orphans {
            if let k = try o.neighbourSharingMostEdge(among: main) {
                let merged = try main[k]!.union(o).snapped()
                if merged.geometry.polygons.count == 1 { main[k] = merged }
            }
        }
        return main.map { $0?.geometry.polygons.first }
    }
}
