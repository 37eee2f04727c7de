import Geo
import Testing
@testable import Grid

@Suite struct PartitionerTests {
    let ctx = GEOSContext()

    func points(_ n: Int, in box: BoundingBox, households: ClosedRange<Int>, seed: UInt64) -> [(position: Position, households: Int)] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in
            (Position(box.minLon + rng.unit() * (box.maxLon - box.minLon), box.minLat + rng.unit() * (box.maxLat - box.minLat)),
             households.lowerBound + Int(rng.next() % UInt64(households.count)))
        }
    }

    @Test func gridCountsPreferRoomInsideTheBand() {
        let p = Partitioner()
        #expect(p.gridCount(for: 999) == 3)     // 333 each, not 499.5
        #expect(p.gridCount(for: 400) == 1)
        #expect(p.gridCount(for: 800) == 2)
        #expect(p.gridCount(for: 520) == nil)   // one grid too many, two too few
        #expect(p.gridCount(for: 250) == nil)
        #expect(p.gridCount(for: 0) == nil)
    }

    @Test func cutsAVillageIntoBandedCompactGridsThatCoverItExactly() throws {
        // An L-shaped village, concave on purpose.
        let village = Polygon([[.init(106.0, 30.0), .init(106.04, 30.0), .init(106.04, 30.02), .init(106.02, 30.02),
                                .init(106.02, 30.04), .init(106.0, 30.04), .init(106.0, 30.0)]])
        let inside = PointLocator(polygons: [village])
        let pts = points(3000, in: BoundingBox(minLon: 106, minLat: 30, maxLon: 106.04, maxLat: 30.04), households: 1...3, seed: 4)
            .filter { inside.locate($0.position.lon, $0.position.lat) != nil }
        let total = pts.reduce(0) { $0 + $1.households }
        let pieces = try Partitioner().partition(village, points: pts, context: ctx)
        #expect(pieces.count == Partitioner().gridCount(for: total))
        #expect(pieces.allSatisfy { Grid.householdBand.contains($0.households) })
        #expect(pieces.reduce(0) { $0 + $1.households } == total)
        // The pieces' own point counts agree with a spatial join of the same points.
        let loc = PointLocator(polygons: pieces.map(\.polygon))
        var joined = [Int](repeating: 0, count: pieces.count)
        for p in pts { if let k = loc.locate(p.position.lon, p.position.lat) { joined[k] += p.households } }
        #expect(joined == pieces.map(\.households))
        // Exact cover: valid, no overlaps, union = village.
        let grids = pieces.enumerated().map { Grid(code: "g\($0.offset)", name: "g", households: $0.element.households, polygon: $0.element.polygon) }
        let v = Boundary(code: "v", name: "v", level: .county, area: [village])
        #expect(try LayerValidator().validate(grids, boundaries: [v]).isEmpty)
        // Compact on the whole (a square scores 0.79), though a piece of the L's corner may be long.
        let scores = pieces.map { p -> Double in
            let a = Geodesy.area(of: .polygon(p.polygon)), len = Geodesy.length(of: .polygon(p.polygon))
            return 4 * .pi * a / (len * len)
        }
        #expect(scores.reduce(0, +) / Double(scores.count) > 0.5, "\(scores)")
        #expect(scores.min()! > 0.15, "\(scores)")
    }

    @Test func refusesWhatCannotBeCut() throws {
        let square = Polygon([[.init(106, 30), .init(106.01, 30), .init(106.01, 30.01), .init(106, 30.01), .init(106, 30)]])
        let few = points(100, in: BoundingBox(minLon: 106, minLat: 30, maxLon: 106.01, maxLat: 30.01), households: 5...5, seed: 1)
        #expect(try Partitioner().partition(square, points: few, context: ctx).count == 1)                            // 500: one grid
        let odd = few + [(Position(106.005, 30.005), 20)]                                                                // 520: impossible
        do { _ = try Partitioner().partition(square, points: odd, context: ctx); Issue.record("520 households accepted") } catch {
            #expect("\(error)" == "520 households cannot make grids of 300–500 households each")
        }
        let tower = [(position: Position(106.005, 30.005), households: 600)]
        do { _ = try Partitioner().partition(square, points: tower, context: ctx); Issue.record("tower accepted") } catch {
            #expect("\(error)".contains("an address with 600 households exceeds the band by itself"))
        }
    }
}
