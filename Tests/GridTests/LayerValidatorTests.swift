import Geo
import Testing
@testable import Grid

@Suite struct LayerValidatorTests {
    func grid(_ code: String, _ p: Polygon, _ households: Int = 400) -> Grid {
        Grid(code: code, name: code, households: households, polygon: p)
    }

    @Test func findsEveryKindOfProblemWithCodesAndPlaces() throws {
        // Village 511725001001 is the square 106.0–106.03 × 30.0–30.01; its grids should tile it.
        let village = Boundary(code: "511725001001", name: "v", level: .village, parentCode: "511725001", area: [square(106.0, 30.0, 0.03).scaledY(1 / 3)])
        let grids = [
            grid("511725001001001", square(106.0, 30.0, 0.01)),
            grid("511725001001002", square(106.009, 30.0, 0.01), 250),         // overlaps 001 by 0.001°, below the band
            // a gap: nothing covers 106.019–106.02
            grid("511725001001003", square(106.02, 30.0, 0.012), 0),            // empty, and reaches outside the village
            grid("511725001001004", Polygon([[.init(106.0, 30.0), .init(106.001, 30.001), .init(106.001, 30.0), .init(106.0, 30.001), .init(106.0, 30.0)]])),
        ]
        let problems = try LayerValidator().validate(grids, boundaries: [village])
        func find(_ kind: LayerProblem.Kind) -> [LayerProblem] { problems.filter { $0.kind == kind } }
        #expect(find(.invalid).map(\.gridCodes) == [["511725001001004"]])
        #expect(find(.outsideBand).map(\.gridCodes) == [["511725001001002"]])
        #expect(find(.empty).map(\.gridCodes) == [["511725001001003"]])
        #expect(find(.overlap).contains { $0.gridCodes == ["511725001001001", "511725001001002"] })
        let gap = find(.gap)
        #expect(gap.count == 1 && gap[0].gridCodes.sorted() == ["511725001001002", "511725001001003"])
        if case .polygon(let g)? = gap[0].location { #expect(abs(g.exterior.map(\.lon).min()! - 106.019) < 1e-9) } else { Issue.record("gap has no place") }
        let crossing = find(.crossesParent)
        #expect(crossing.map(\.gridCodes) == [["511725001001003"]])
        #expect(crossing.first?.detail.contains("outside village 511725001001") == true)
    }

    @Test func aSeamlessBandedLayerHasNoProblems() throws {
        #expect(try LayerValidator().validate(smallDemo.grids, boundaries: smallDemo.towns + smallDemo.villages).isEmpty)
    }

    @Test func withoutBoundariesAHoleAmongGridsIsStillAGap() throws {
        // A ring of four grids around an uncovered square.
        let gs = [grid("a", Polygon([[.init(0, 0), .init(3, 0), .init(3, 1), .init(0, 1), .init(0, 0)]])),
                  grid("b", Polygon([[.init(0, 2), .init(3, 2), .init(3, 3), .init(0, 3), .init(0, 2)]])),
                  grid("c", Polygon([[.init(0, 1), .init(1, 1), .init(1, 2), .init(0, 2), .init(0, 1)]])),
                  grid("d", Polygon([[.init(2, 1), .init(3, 1), .init(3, 2), .init(2, 2), .init(2, 1)]]))]
        let problems = try LayerValidator().validate(gs, boundaries: [])
        #expect(problems.filter { $0.kind == .gap }.map { $0.gridCodes.sorted() } == [["a", "b", "c", "d"]])
    }
}

extension Polygon {
    /// The polygon squashed vertically about its first vertex (for test shapes).
    func scaledY(_ f: Double) -> Polygon {
        let o = exterior[0]
        return Polygon(rings.map { $0.map { Position($0.lon, o.lat + ($0.lat - o.lat) * f) } })
    }
}
