import Foundation
import Testing
import TestSupport
@testable import Geo

@Suite struct CoverageSimplifierTests {
    /// Voronoi cells of a real county, densified so there is something to simplify.
    func coverage(_ ctx: GEOSContext) throws -> [[Polygon]] {
        let county = try GeoJSONReader().read(try quCountyBytes()).features[0].geometry!
        let wgs = try CoordinateConverter(from: .gcj02, to: .crs84).convert(county)
        var rng = SystemRandomNumberGenerator()
        let box = wgs.boundingBox!
        let seeds = (0..<80).map { _ in
            Position(Double.random(in: box.minLon...box.maxLon, using: &rng), Double.random(in: box.minLat...box.maxLat, using: &rng))
        }
        let cells = try Tessellation.voronoi(seeds: seeds, within: wgs.polygons, context: ctx).compactMap { $0 }
        return try cells.map { [try ctx.shape(.polygon($0)).densified(0.0005).geometry.polygons[0]] }
    }

    @Test func neighboursStillMeetAfterSimplifying() throws {
        let ctx = GEOSContext()
        let cells = try coverage(ctx)
        let before = cells.reduce(0) { $0 + $1[0].exterior.count }
        for zoom in [8, 11, 14] {
            let out = CoverageSimplifier(zoom: zoom).simplify(cells)
            let after = out.reduce(0) { $0 + $1[0].exterior.count }
            #expect(after < before, "zoom \(zoom) keeps \(after) of \(before) vertices")
            let shapes = try out.map { try ctx.shape(.polygon($0[0])) }
            let original = try cells.map { try ctx.shape(.polygon($0[0])) }
            for i in shapes.indices {
                #expect(shapes[i].validity == .valid, "cell \(i) at zoom \(zoom)")
                for j in shapes.indices where j > i && original[i].sharesEdge(with: original[j]) {
                    // Neighbours before are neighbours after, and do not overlap.
                    #expect(shapes[i].sharesEdge(with: shapes[j]), "cells \(i) and \(j) no longer meet at zoom \(zoom)")
                    #expect(!shapes[i].overlapsInArea(shapes[j]), "cells \(i) and \(j) overlap at zoom \(zoom)")
                }
            }
        }
    }

    @Test func chainsKeepTheirEndsAndDropFlatPoints() {
        let s = CoverageSimplifier(tolerance: 0.01)
        let chain = [Position(0, 0), Position(1, 0.001), Position(2, 0), Position(3, 1)]
        #expect(s.simplifyChain(chain) == [Position(0, 0), Position(2, 0), Position(3, 1)])
        // A tiny square cannot collapse: it keeps its corners.
        let square = [[Polygon(exterior: [Position(0, 0), Position(0.001, 0), Position(0.001, 0.001), Position(0, 0.001), Position(0, 0)])]]
        #expect(CoverageSimplifier(tolerance: 1).simplify(square)[0][0].exterior.count == 5)
    }

    @Test func polygonBoxIntersection() {
        let p = Polygon(exterior: [Position(0, 0), Position(4, 0), Position(4, 4), Position(0, 4), Position(0, 0)],
                        holes: [[Position(1, 1), Position(1, 3), Position(3, 3), Position(3, 1), Position(1, 1)]])
        #expect(p.intersects(BoundingBox(minLon: 3.5, minLat: 3.5, maxLon: 5, maxLat: 5)))      // a corner
        #expect(p.intersects(BoundingBox(minLon: -1, minLat: -1, maxLon: 5, maxLat: 5)))        // the box holds it
        #expect(p.intersects(BoundingBox(minLon: 0.2, minLat: 0.2, maxLon: 0.8, maxLat: 0.8)))  // inside, no edge
        #expect(!p.intersects(BoundingBox(minLon: 1.5, minLat: 1.5, maxLon: 2.5, maxLat: 2.5))) // in the hole
        #expect(!p.intersects(BoundingBox(minLon: 5, minLat: 5, maxLon: 6, maxLat: 6)))         // apart
    }
}
