import Foundation
import Geo

/// Builds the demo county's grid layer from a real county boundary: seeds placed densely in the
/// county seat and town centres and sparsely in the hills, their Voronoi cells clipped to the county,
/// each cell a grid of 300–500 households. Same seed, same county.
public struct DemoCounty {
    public let county: Boundary
    public var gridCount = 613
    public var townCount = 37
    public var seed: UInt64

    public init(county: Boundary, seed: UInt64 = 1) {
        self.county = county
        self.seed = seed
    }

    public struct Result {
        public var grids: [Grid]
        public var townCentres: [Position]
    }

    public func build() throws -> Result {
        var rng = SeededRandom(seed: seed)
        let area = county.area
        let inside = PointLocator(polygons: area)
        let box = Geometry.multiPolygon(area).boundingBox!
        func randomInside() -> Position {
            while true {
                let p = Position(box.minLon + rng.unit() * (box.maxLon - box.minLon), box.minLat + rng.unit() * (box.maxLat - box.minLat))
                if inside.locate(p.lon, p.lat) != nil { return p }
            }
        }
        func near(_ c: Position, _ sigma: Double) -> Position {
            for _ in 0..<50 {
                let p = Position(c.lon + rng.normal() * sigma, c.lat + rng.normal() * sigma)
                if inside.locate(p.lon, p.lat) != nil { return p }
            }
            return randomInside()
        }
        // Town 1 is the county seat, near the centre of the county's area.
        var towns = [near(Position((box.minLon + box.maxLon) / 2, (box.minLat + box.maxLat) / 2), 0.02)]
        while towns.count < townCount { towns.append(randomInside()) }
        var seeds: [Position] = []
        for k in 0..<gridCount {
            switch k % 10 {
            case 0, 1, 2: seeds.append(near(towns[0], 0.025))                          // county seat
            case 3, 4, 5, 6: seeds.append(near(towns[Int(rng.next() % UInt64(townCount))], 0.02))
            default: seeds.append(randomInside())                                       // hills
            }
        }
        let polygons = try cells(seeds: seeds)
        // Codes: county adcode + town (nearest centre) + village (000 until villages exist) + grid.
        var perTown = [Int](repeating: 0, count: townCount)
        var grids: [Grid] = []
        for (k, poly) in polygons.enumerated() {
            let s = seeds[k]
            let t = towns.indices.min { hypot(towns[$0].lon - s.lon, towns[$0].lat - s.lat) < hypot(towns[$1].lon - s.lon, towns[$1].lat - s.lat) }!
            perTown[t] += 1
            let code = county.code + String(format: "%03d000%03d", t + 1, perTown[t])
            grids.append(Grid(code: code, name: String(format: "第%02d镇 第%03d网格", t + 1, perTown[t]),
                              households: Grid.householdBand.lowerBound + Int(rng.next() % 201), polygon: poly))
        }
        return Result(grids: grids.sorted { $0.code < $1.code }, townCentres: towns)
    }

    /// Voronoi cells of the seeds clipped to the county, one polygon each. A clipped cell can fall
    /// in pieces along a concave border; its smaller pieces join the neighbour they share most edge
    /// with, so the layer still covers the county without gaps.
    private func cells(seeds: [Position]) throws -> [Polygon] {
        let ctx = GEOSContext()
        let countyShape = try ctx.shape(.multiPolygon(county.area))
        let diagram = try ctx.shape(.multiPoint(seeds)).voronoiCells(envelope: countyShape)
        guard case .geometryCollection(let raw) = diagram.geometry else { throw GEOSError(reason: "unexpected Voronoi output") }
        let prepared = try countyShape.prepared()
        // GEOS does not keep input order: match each cell to the seed inside it.
        var cellOf = [Polygon?](repeating: nil, count: seeds.count)
        let seedIndex = PointLocator(polygons: raw.flatMap(\.polygons))
        for (k, s) in seeds.enumerated() {
            if let c = seedIndex.locate(s.lon, s.lat) { cellOf[k] = raw.flatMap(\.polygons)[c] }
        }
        var main: [Shape?] = Array(repeating: nil, count: seeds.count)
        var orphans: [Shape] = []
        for (k, cell) in cellOf.enumerated() {
            guard let cell else { continue }
            let cellShape = try ctx.shape(.polygon(cell))
            let clipped = prepared.contains(cellShape) ? cellShape : try cellShape.intersection(countyShape)
            let parts = clipped.geometry.polygons.sorted { Geodesy.area(of: .polygon($0)) > Geodesy.area(of: .polygon($1)) }
            guard let first = parts.first else { continue }
            main[k] = try ctx.shape(.polygon(first))
            for p in parts.dropFirst() { orphans.append(try ctx.shape(.polygon(p))) }
        }
        for o in orphans {
            // The neighbour with the longest shared boundary takes the piece.
            var best: (Int, Double)?
            for (k, m) in main.enumerated() {
                guard let m, m.intersects(o) else { continue }
                let shared = try m.intersection(o).planarLength
                if shared > (best?.1 ?? 0) { best = (k, shared) }
            }
            if let (k, _) = best {
                let merged = try main[k]!.union(o)
                if merged.geometry.polygons.count == 1 { main[k] = merged }
            }
        }
        return main.compactMap { $0?.geometry.polygons.first }
    }
}
