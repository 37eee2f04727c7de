import Foundation
import Geo
import Testing
@testable import Grid

@Suite struct ImportTests {
    func fc(_ features: [String]) -> [UInt8] {
        Array((#"{"type":"FeatureCollection","features":["# + features.joined(separator: ",") + "]}").utf8)
    }
    func grid(_ id: String, _ ring: String, households: String = "400", name: String = #""G""#) -> String {
        #"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[\#(ring)]},"properties":{"grid_id":\#(id),"name":\#(name),"households":\#(households)}}"#
    }
    let a = "[[106.0,30.0],[106.1,30.0],[106.1,30.1],[106.0,30.1],[106.0,30.0]]"
    let b = "[[106.1,30.0],[106.2,30.0],[106.2,30.1],[106.1,30.1],[106.1,30.0]]"       // touches a
    let overA = "[[106.05,30.0],[106.15,30.0],[106.15,30.1],[106.05,30.1],[106.05,30.0]]"
    let bowtie = "[[106.0,30.0],[106.1,30.1],[106.1,30.0],[106.0,30.1],[106.0,30.0]]"

    func problems(_ bytes: [UInt8], existing: [Grid] = [], crs: CRS = .crs84) -> [String] {
        do { _ = try GridImporter(crs: crs).grids(from: bytes, existing: existing); return [] } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func overridesAreKeptAndShownAsSuch() throws {
        let withOverride = #"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[\#(a)]},"properties":{"grid_id":"O","name":"o","households":120,"households_override":450}}"#
        let g = try GridImporter().grids(from: fc([withOverride]))[0]
        #expect(g.households == 120 && g.householdsOverride == 450 && g.effectiveHouseholds == 450)
        // The validator judges the band by the override, and says so.
        let found = try LayerValidator(band: 300...400).validate([g], boundaries: [])
        #expect(found.map(\.description) == ["outside_band [O]: 450 households (override), band 300–400"])
        let bad = withOverride.replacingOccurrences(of: "450", with: "-1")
        #expect(problems(fc([bad])) == ["features[0] (grid_id O): households_override must be a non-negative integer or null"])
    }

    @Test func importsValidGridsWithNumericIds() throws {
        let grids = try GridImporter().grids(from: fc([grid(#""511725001001001""#, a), grid("511725001001002", b)]))
        #expect(grids.map(\.code) == ["511725001001001", "511725001001002"])
        #expect(grids[0].households == 400)
    }

    @Test func refusesWithTheOffendingIdsAndReasons() {
        #expect(problems(fc([grid(#""A""#, a), grid(#""B""#, overA)])) == [
            "features[0] (grid_id A): overlaps grid_id B (features[1])"])
        #expect(problems(fc([grid(#""A""#, a), grid(#""A""#, b)])) == [
            "features[1] (grid_id A): duplicate grid_id (also features[0])"])
        let bow = problems(fc([grid(#""A""#, bowtie)]))
        #expect(bow.count == 1 && bow[0].hasPrefix("features[0] (grid_id A): invalid polygon: Self-intersection at 106.05 30.05"), "\(bow)")
        #expect(problems(fc([grid(#""A""#, a, households: #""many""#)])) == [
            "features[0] (grid_id A): property households is missing or not an integer"])
        #expect(problems(fc([grid(#""""#, a)])) == [
            "features[0]: property grid_id is missing or empty (a string or integer grid code)"])
        #expect(problems(fc([grid(#""A""#, a)]), existing: [Grid(code: "A", name: "x", households: 1, polygon: square(0, 0, 1))]) == [
            "features[0] (grid_id A): grid_id already exists in the live layer"])
        let live = Grid(code: "L", name: "x", households: 1, polygon: square(106.05, 30.05, 0.01))
        #expect(problems(fc([grid(#""A""#, a)]), existing: [live]) == ["features[0] (grid_id A): overlaps live grid L"])
        let multi = #"{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[\#(a)],[[[107,31],[107.1,31],[107.1,31.1],[107,31]]]]},"properties":{"grid_id":"M","name":"m","households":350}}"#
        #expect(problems(fc([multi])) == ["features[0] (grid_id M): a grid must be one polygon, this one has 2 parts"])
        let point = #"{"type":"Feature","geometry":{"type":"Point","coordinates":[106,30]},"properties":{"grid_id":"P","name":"p","households":1}}"#
        #expect(problems(fc([point])) == ["features[0] (grid_id P): geometry is a Point, a Polygon or MultiPolygon is required"])
    }

    @Test func fileLevelProblems() {
        #expect(problems(Array("  \n".utf8)) == ["the file is empty"])
        #expect(problems(fc([])) == ["the file has no features"])
        #expect(problems(Array("{\"type\":".utf8)).first?.hasPrefix("malformed JSON at line 1, column 9") == true)
        #expect(problems(fc([#"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]},"properties":{}}"#])) == [
            "features[0].geometry.coordinates[0]: ring not closed"])
        // GCJ-02 is defined only in China: a Paris grid under --crs gcj02 is refused.
        let paris = "[[2.3,48.8],[2.4,48.8],[2.4,48.9],[2.3,48.8]]"
        #expect(problems(fc([grid(#""P""#, paris)]), crs: .gcj02) == [
            "features[0]: geometry: 2.3, 48.8 is outside China, where GCJ-02 is not defined; is --crs gcj02 right?"])
    }

    @Test func gcj02InputIsStoredAsWGS84() throws {
        let g = try GridImporter(crs: .gcj02).grids(from: fc([grid(#""A""#, a)]))[0]
        let expected = try ChinaOffset.gcj02ToWGS84(Position(106.0, 30.0))
        #expect(Geodesy.distance(g.polygon.exterior[0], expected) < 0.01)
        #expect(Geodesy.distance(g.polygon.exterior[0], Position(106.0, 30.0)) > 100)
    }

    @Test func publishKeepsEverythingOrNothing() throws {
        let dir = TempDir()
        let store = try newDatabase(dir.path("g.sqlite")).grids
        let a = try GridImporter().grids(from: fc([grid(#""A""#, a)]))
        #expect(try store.publish(a, note: "first", planID: nil, effectiveAt: Date()).version == 1)
        // A second grid with the same id fails at the UNIQUE constraint: the whole publish is rolled
        // back, version and history included.
        let c = Grid(code: "C", name: "c", households: 300, polygon: square(107, 31, 0.1))
        let dup = Grid(code: "C", name: "c2", households: 300, polygon: square(108, 31, 0.1))
        #expect(throws: (any Error).self) { try store.publish([c, dup], note: "bad", planID: nil, effectiveAt: Date()) }
        #expect(try store.grids().map(\.code) == ["A"])
        #expect(try store.currentVersion() == 1)
        // A good publish replaces the live layer; the earlier version stays readable.
        #expect(try store.publish([c], note: "second", planID: nil, effectiveAt: Date()).version == 2)
        #expect(try store.grids().map(\.code) == ["C"])
        #expect(try store.grids()[0].polygon == c.polygon)
        #expect(try store.grids(version: 1).map(\.code) == ["A"])
        #expect(try store.versions().map(\.note) == ["first", "second"])
    }

    @Test func boundariesAcceptAmapProperties() throws {
        let county = try quCounty()
        let dir = TempDir()
        let store = try newDatabase(dir.path("b.sqlite")).grids
        try store.save(boundaries: [county])
        try store.save(boundaries: [county])   // same code: replaced, not duplicated
        let back = try store.boundaries()
        #expect(back.count == 1 && back[0].code == "511725" && back[0].level == .county)
        #expect(back[0].area == county.area)
        let bad = Array(#"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[\#(a)]},"properties":{"code":"1","name":"x","level":"province"}}"#.utf8)
        #expect(throws: ImportError.self) { try BoundaryImporter().boundaries(from: bad) }
    }
}
