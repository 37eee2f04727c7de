import Foundation
import Testing
import TestSupport
@testable import Geo

@Suite struct CoverageSimplifierTests {
    /// Voronoi cells of a real county, with wiggly borders so there is something to simplify.
    func coverage(_ ctx: GEOSContext, seed: UInt64) throws -> [[Polygon]] {
        let county = try GeoJSONReader().read(try quCountyBytes()).features[0].geometry!
        let wgs = try CoordinateConverter(from: .gcj02, to: .crs84).convert(county)
        var rng = SeededRandom(seed: seed)
        let box = wgs.boundingBox!
        let seeds = (0..<80).map { _ in
            Position(Double.random(in: box.minLon...box.maxLon, using: &rng), Double.random(in: box.minLat...box.maxLat, using: &rng))
        }
        let cells = try Tessellation.voronoi(seeds: seeds, within: wgs.polygons, context: ctx).compactMap { $0 }
        var uses: [[Double]: Int] = [:]
        for cell in cells { for r in cell.rings { for k in 0..<(r.count - 1) { uses[edgeKey(r[k], r[k + 1]), default: 0] += 1 } } }
        var bent = Set(uses.filter { $0.value == 2 }.keys)
        // Where a bend crosses the county's border (a cell pinched thin), that cell's edges stay straight.
        while true {
            let out = cells.map { [Polygon($0.rings.map { wiggled($0) { bent.contains(edgeKey($0, $1)) } })] }
            let invalid = try out.indices.filter { try ctx.shape(.polygon(out[$0][0])).validity != .valid }
            if invalid.isEmpty { return out }
            for i in invalid { for r in cells[i].rings { for k in 0..<(r.count - 1) { bent.remove(edgeKey(r[k], r[k + 1])) } } }
        }
    }

    func edgeKey(_ a: Position, _ b: Position) -> [Double] {
        a.lon != b.lon ? (a.lon < b.lon ? [a.lon, a.lat, b.lon, b.lat] : [b.lon, b.lat, a.lon, a.lat])
            : (a.lat < b.lat ? [a.lon, a.lat, b.lon, b.lat] : [b.lon, b.lat, a.lon, a.lat])
    }

    /// Every edge between two cells cut into ~50 m pieces bent off the straight line, the same for
    /// both cells (made in one direction, reversed for the other), so the cells still tile. The
    /// county's own border is left as it is: it is detailed already.
    func wiggled(_ ring: [Position], shared: (Position, Position) -> Bool) -> [Position] {
        var out = [ring[0]]
        for k in 0..<(ring.count - 1) {
            let a = ring[k], b = ring[k + 1]
            guard shared(a, b) else { out.append(b); continue }
            let forward = a.lon != b.lon ? a.lon < b.lon : a.lat < b.lat
            let (p, q) = forward ? (a, b) : (b, a)
            let dx = q.lon - p.lon, dy = q.lat - p.lat, length = (dx * dx + dy * dy).squareRoot()
            let pieces = Int(length / 0.0005)
            var inside = (1..<max(pieces, 1)).map { i -> Position in
                let t = Double(i) / Double(pieces)
                let off = 0.02 * length * pow(sin(.pi * t), 2) * sin(7 * .pi * t)
                return Position(p.lon + t * dx - off * dy / length, p.lat + t * dy + off * dx / length)
            }
            if !forward { inside.reverse() }
            out += inside + [b]
        }
        return out
    }

    /// Seeded, so a failure names the coverage that shows it; several, because a shortcut that
    /// crosses a neighbour's edge needs an unlucky shape (one seed in a few found it in CI).
    @Test(arguments: 1...16 as ClosedRange<UInt64>)
    func neighboursStillMeetAfterSimplifying(seed: UInt64) throws {
        let ctx = GEOSContext()
        let cells = try coverage(ctx, seed: seed)
        let before = cells.reduce(0) { $0 + $1[0].exterior.count }
        for zoom in [8, 11, 14] {
            let out = CoverageSimplifier(zoom: zoom).simplify(cells)
            let after = out.reduce(0) { $0 + $1[0].exterior.count }
            #expect(after < before, "zoom \(zoom) keeps \(after) of \(before) vertices")
            let shapes = try out.map { try ctx.shape(.polygon($0[0])) }
            let original = try cells.map { try ctx.shape(.polygon($0[0])) }
            for i in original.indices { try #require(original[i].validity == .valid, "input cell \(i)") }
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

    /// A's edge dents in around the tip of B (its neighbour across a gap): Douglas–Peucker alone
    /// straightens the dent and puts B's tip inside A.
    @Test func aShortcutDoesNotCutAcrossANeighbour() throws {
        let ctx = GEOSContext()
        let a = Polygon(exterior: [Position(0, 0), Position(4, 0), Position(5, 1), Position(6, 0), Position(10, 0),
                                   Position(10, 10), Position(0, 10), Position(0, 0)].reversed())
        let b = Polygon(exterior: [Position(4, -3), Position(6, -3), Position(5, 0.5), Position(4, -3)])
        let out = CoverageSimplifier(tolerance: 2).simplify([[a], [b]])
        let shapes = try out.map { try ctx.shape(.polygon($0[0])) }
        #expect(shapes.allSatisfy { $0.validity == .valid })
        #expect(!shapes[0].overlapsInArea(shapes[1]), "\(out)")
        #expect(out[0][0].exterior.contains(Position(5, 1)))        // the dent's deepest point is back
        #expect(!out[0][0].exterior.contains(Position(4, 0)))       // the rest of it still goes
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

