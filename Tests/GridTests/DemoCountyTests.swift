import Geo
import Testing
@testable import Grid

@Suite struct DemoCountyTests {
    @Test func sameSeedSameCountyAndASeamlessValidLayer() throws {
        let county = try quCounty()
        var demo = DemoCounty(county: county, seed: 1)
        demo.gridCount = 200
        let grids = try demo.build().grids
        #expect(grids == demoGrids)   // built again from the same seed
        var other = DemoCounty(county: county, seed: 2)
        other.gridCount = 200
        #expect(try other.build().grids != grids)

        #expect(grids.count == 200)
        #expect(Set(grids.map(\.code)).count == 200)
        #expect(grids.allSatisfy { $0.code.hasPrefix("511725") && $0.code.count == 15 })
        #expect(grids.allSatisfy { Grid.householdBand.contains($0.households) })
        // Valid, no overlaps (the importer's own checks), and together they cover the county.
        _ = try GridImporter().grids(from: gridsGeoJSON(grids))
        let ctx = GEOSContext()
        let union = try ctx.shape(.multiPolygon(grids.map(\.polygon))).unaryUnion()
        let countyShape = try ctx.shape(.multiPolygon(county.area))
        let gap = try countyShape.difference(union).planarArea / countyShape.planarArea
        #expect(gap < 1e-9, "uncovered share of the county: \(gap)")
        #expect(union.geometry.polygons.count == 1)
    }

    @Test func countyBoundaryIsConvertedFromGCJ02() throws {
        let county = try quCounty()
        #expect(county.code == "511725" && county.level == .county && county.name == "渠县")
        // About 2,000 km² (Qu County is 2,013 km²).
        let km2 = Geodesy.area(of: .multiPolygon(county.area)) / 1e6
        #expect(km2 > 1900 && km2 < 2100, "\(km2) km²")
    }
}
