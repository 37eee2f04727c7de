import Foundation
import Testing
import Geo
@testable import Grid

/// Micro-grids (微网格): the quick tiling test, the validator against shapely, and the micro-grids a
/// new layer derives.
@Suite struct MicroGridTests {
    static func oracle(_ grids: [Grid], _ microgrids: [MicroGrid]) throws -> Set<[String]> {
        try microgridOracle(grids, microgrids)
    }

    /// Ours in the oracle's terms: a gap named by its grid.
    static func ours(_ problems: [LayerProblem]) -> Set<[String]> {
        Set(problems.map { p in
            p.kind == .microgridGap ? [p.kind.rawValue, String(p.gridCodes[0].prefix(15))] : [p.kind.rawValue] + p.gridCodes.sorted()
        })
    }

    @Test func theQuickTestTellsATilingFromAlmostOne() {
        let check = CoverageCheck()
        let area = square(0, 0, 2)
        // Left half; the right half cut again, so the left piece's edge has a T-junction at (1, 1).
        let left = Polygon([[.init(0, 0), .init(1, 0), .init(1, 2), .init(0, 2), .init(0, 0)]])
        let lowerRight = Polygon([[.init(1, 0), .init(2, 0), .init(2, 1), .init(1, 1), .init(1, 0)]])
        let upperRight = Polygon([[.init(1, 1), .init(2, 1), .init(2, 2), .init(1, 2), .init(1, 1)]])
        #expect(check.tiles(area, with: [left, lowerRight, upperRight]))
        // Clockwise input is turned, not refused.
        #expect(check.tiles(area, with: [Polygon([left.exterior.reversed()]), lowerRight, upperRight]))
        #expect(!check.tiles(area, with: [left, lowerRight]), "a gap")
        #expect(!check.tiles(area, with: [left, lowerRight, upperRight, upperRight]), "a piece twice")
        #expect(!check.tiles(area, with: [square(0, 0, 1.5), lowerRight, upperRight]), "an overlap")
        #expect(!check.tiles(square(0, 0, 1), with: [square(0, 0, 1), square(1, 0, 1)]), "a piece outside")
        let bowtie = Polygon([[.init(0, 0), .init(2, 2), .init(2, 0), .init(0, 2), .init(0, 0)]])
        #expect(!check.tiles(area, with: [bowtie]), "a self-intersecting piece")
        // A corner a hair (1e-7°) off the neighbour's edge is not shown to tile: GEOS measures it.
        let off = Polygon([[.init(1, 0), .init(2, 0), .init(2, 1), .init(1 + 1e-7, 1), .init(1, 0)]])
        #expect(!check.tiles(area, with: [left, off, upperRight]))
    }

    @Test func theDemosMicroGridsTileTheirGridsAsShapelySays() throws {
        let micro = smallDemo.microgrids
        #expect(micro.count > smallDemo.grids.count * 5)
        #expect(Set(micro.map(\.gridCode)) == Set(smallDemo.grids.map(\.code)))
        #expect(micro.allSatisfy { MicroGrid.isCode($0.code, of: $0.gridCode) && $0.leaderID != nil })
        // Households: every address point of a grid in one of its micro-grids.
        let byGrid = Dictionary(grouping: micro, by: \.gridCode).mapValues { $0.reduce(0) { $0 + $1.households } }
        for g in smallDemo.grids { #expect(byGrid[g.code] == g.households, "\(g.code)") }
        #expect(try MicroGridValidator().validate(micro, grids: smallDemo.grids).isEmpty)
        #expect(try Self.oracle(smallDemo.grids, micro).isEmpty)
    }

    @Test func brokenMicroGridsAreFoundAsShapelyFindsThem() throws {
        var micro = smallDemo.microgrids
        let codes = Dictionary(grouping: micro.indices, by: { micro[$0].gridCode }).filter { $0.value.count >= 4 }.keys.sorted()
        // One micro-grid moved 15 m east (an overlap, a gap, perhaps an overhang); one removed (a gap).
        let moved = micro.firstIndex { $0.gridCode == codes[0] }!
        micro[moved].polygon = Polygon(micro[moved].polygon.rings.map { $0.map { Position($0.lon + 0.00015, $0.lat) } })
        micro.removeAll { $0.gridCode == codes[1] && $0.code.hasSuffix("002") }
        // And one whose grid the layer does not have.
        var stray = micro[moved]
        stray.code = "511725999999999001"
        micro.append(stray)
        let found = try MicroGridValidator().validate(micro, grids: smallDemo.grids)
        let expected = try Self.oracle(smallDemo.grids, micro)
        #expect(Self.ours(found) == expected)
        #expect(expected.contains(["microgrid_gap", codes[1]]))
        #expect(expected.contains { $0[0] == "microgrid_overlap" && $0.contains(micro[moved].code) })
        #expect(expected.contains(["microgrid_orphan", "511725999999999001"]))
    }

    /// A grid split in two and two neighbours merged: the micro-grids of what changed are cut along
    /// the new grids, the rest stay; the result tiles the new layer (shapely), leaders stay with one piece.
    @Test func aNewLayerDerivesTheMicroGridsOfWhatChanged() throws {
        let grids = smallDemo.grids, micro = smallDemo.microgrids
        let ctx = GEOSContext()
        let counts = Dictionary(grouping: micro, by: \.gridCode).mapValues(\.count)
        let splitIndex = grids.firstIndex { counts[$0.code, default: 0] >= 6 }!
        let g = grids[splitIndex]
        let box = Geometry.polygon(g.polygon).boundingBox!
        let mid = (box.minLon + box.maxLon) / 2
        let half = try ctx.rectangle(BoundingBox(minLon: box.minLon - 1, minLat: box.minLat - 1, maxLon: mid, maxLat: box.maxLat + 1))
        let shape = try ctx.shape(.polygon(g.polygon))
        let west = try shape.intersection(half).snapped(), east = try shape.difference(west).snapped()
        guard case .polygon(let w) = west.geometry, case .polygon(let e) = east.geometry else { Issue.record("the cut made several parts"); return }
        var after = grids
        after[splitIndex].polygon = w
        var eastGrid = g
        eastGrid.code = String(g.code.dropLast(3)) + "900"
        eastGrid.polygon = e
        after.append(eastGrid)
        // Two neighbours of another village merged into the first's code.
        let others = grids.filter { !$0.code.hasPrefix(String(g.code.prefix(12))) }
        var merged: (Int, Int)?
        outer: for a in others.indices {
            for b in others.indices where b > a && others[a].code.prefix(12) == others[b].code.prefix(12) {
                if try ctx.shape(.polygon(others[a].polygon)).intersection(try ctx.shape(.polygon(others[b].polygon))).geometry.typeName != "Point" {
                    merged = (a, b); break outer
                }
            }
        }
        let (a, b) = try #require(merged)
        let union = try ctx.shape(.polygon(others[a].polygon)).union(try ctx.shape(.polygon(others[b].polygon))).snapped()
        guard case .polygon(let u) = union.geometry else { Issue.record("merge made several parts"); return }
        after.removeAll { $0.code == others[b].code }
        after[after.firstIndex { $0.code == others[a].code }!].polygon = u

        let r = try #require(try MicroGridReplacement.derive(current: micro, before: grids, after: after, households: { smallDemo.households }))
        #expect(r.grids == [g.code, eastGrid.code, others[a].code, others[b].code])
        let kept = micro.filter { !r.grids.contains($0.gridCode) }
        let all = kept + r.microgrids
        #expect(try Self.oracle(after, all).isEmpty)
        #expect(try MicroGridValidator().validate(all, grids: after).isEmpty)
        // The merged grid holds both parts' micro-grids, none cut.
        #expect(r.microgrids.filter { $0.gridCode == others[a].code }.count == counts[others[a].code]! + counts[others[b].code]!)
        // The split: at least as many pieces as before; each old leader leads exactly one piece.
        let splitPieces = r.microgrids.filter { $0.gridCode == g.code || $0.gridCode == eastGrid.code }
        #expect(splitPieces.count >= counts[g.code]!)
        let leaders = splitPieces.compactMap(\.leaderID)
        #expect(Set(leaders) == Set(micro.filter { $0.gridCode == g.code }.compactMap(\.leaderID)) && leaders.count == Set(leaders).count)
        #expect(r.microgrids.reduce(0) { $0 + $1.households } == micro.filter { r.grids.contains($0.gridCode) }.reduce(0) { $0 + $1.households })
    }
}
