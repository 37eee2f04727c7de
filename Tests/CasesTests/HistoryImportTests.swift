import Foundation
import Geo
import Testing
@testable import Cases
@testable import Grid

/// `wangge cases import`: past cases placed by location like any case, all or nothing, and a
/// second import of the same records adds nothing.
@Suite struct HistoryImportTests {
    func feature(_ p: Position, _ properties: String) -> String {
        #"{"type":"Feature","geometry":{"type":"Point","coordinates":[\#(p.lon),\#(p.lat)]},"properties":{\#(properties)}}"#
    }

    func collection(_ features: [String]) -> [UInt8] {
        Array(#"{"type":"FeatureCollection","features":[\#(features.joined(separator: ","))]}"#.utf8)
    }

    /// A point inside a grid of the tiny county, by GEOS.
    func inside(_ k: Int) throws -> (Grid, Position) {
        let grid = tinyDemo.result.grids[k]
        guard case .point(let p) = try GEOSContext().shape(.polygon(grid.polygon)).pointOnSurface().geometry else { throw CaseError(.invalid, "no point") }
        return (grid, p)
    }

    @Test(arguments: StoreKind.allCases) func pastCasesArePlacedByLocationOnceOnly(_ kind: StoreKind) throws {
        let (_, _, d) = try countyDesk(kind)
        let (g0, p0) = try inside(0), (g1, p1) = try inside(1), (g2, p2) = try inside(2)
        let file = collection([
            feature(p0, #""external_id":"SC-2025-001","category":"land","channel":"petition","reported_at":"2025-03-01T09:30:00+08:00","status":"closed","closed_at":"2025-03-20T17:00:00+08:00","description":"宅基地边界""#),
            feature(p1, #""external_id":"SC-2025-002","category":"debt","channel":"hotline","reported_at":"2025-06-01T01:30:00Z""#),
            feature(p2, #""external_id":77,"category":"family","channel":"window","reported_at":"2025-07-01T10:00:00.250+08:00","level":"town","status":"rated","closed_at":"2025-07-09T10:00:00+08:00","rating":4"#),
            feature(Position(106.5, 30.5), #""category":"other","channel":"referral","reported_at":"2025-08-01T10:00:00+08:00""#),
        ])
        let records = try CaseHistoryReader().read(file)
        let first = try d.importHistory(records, actor: Actor("import", source: "import"))
        #expect(first == HistoryImport(imported: 4, skipped: 0, unlocated: 1))
        let stored = try d.cases.page(CaseQuery(limit: 10)).cases.sorted { $0.reportedAt < $1.reportedAt }
        #expect(stored.map(\.gridCode) == [g0.code, g1.code, g2.code, nil])
        #expect(stored.map(\.status) == [.closed, .assigned, .rated, .reported])
        #expect(stored[0].channel == .petition && stored[0].description == "宅基地边界" && stored[0].closedAt == ChinaTime.date("2025-03-20T17:00:00+08:00"))
        #expect(stored[1].reportedAt == ChinaTime.date("2025-06-01T09:30:00+08:00") && stored[1].description == CaseHistoryReader.defaultDescription)
        #expect(stored[2].level == .town && stored[2].unit == "town:\(g2.code.prefix(9))" && stored[2].rating == 4)
        #expect(stored[3].unlocated && stored[3].unit == "county:511725")
        #expect(try d.cases.events(caseID: stored[0].id).map(\.action) == ["reported", "imported"])
        // The same file again: nothing new.
        let again = try d.importHistory(try CaseHistoryReader().read(file), actor: Actor("import", source: "import"))
        #expect(again == HistoryImport(imported: 0, skipped: 4, unlocated: 0))
        #expect(try d.cases.count() == 4)
    }

    @Test(arguments: StoreKind.allCases) func oneBadFeatureImportsNothingAndIsNamed(_ kind: StoreKind) throws {
        let (_, _, d) = try countyDesk(kind)
        let (_, p) = try inside(0)
        let good = feature(p, #""category":"land","channel":"window","reported_at":"2025-03-01T09:30:00+08:00""#)
        let later = feature(p, #""category":"land","channel":"window","reported_at":"2025-03-02T09:30:00+08:00""#)
        let cases: [(String, String)] = [
            (feature(p, #""category":"weather","channel":"window","reported_at":"2025-03-01T09:30:00+08:00""#), "category 'weather' is not one of"),
            (feature(p, #""category":"land","channel":"window","reported_at":"yesterday""#), "reported_at 'yesterday' is not an RFC 3339 time"),
            (feature(p, #""category":"land","channel":"window","reported_at":"二〇二五年三月一日上午""#), "is not an RFC 3339 time"),
            (feature(p, #""category":"land","channel":"window""#), "reported_at is required"),
            (feature(p, #""category":"land","channel":"window","reported_at":"2025-03-01T09:30:00+08:00","status":"closed""#), "closed_at is required"),
            (feature(p, #""category":"land","channel":"window","reported_at":"2025-03-01T09:30:00+08:00","closed_at":"2025-02-01T09:30:00+08:00""#), "closed_at is before reported_at"),
            (feature(p, #""category":"land","channel":"window","reported_at":"2125-03-01T09:30:00+08:00""#), "between 2000 and now"),
            (feature(p, #""category":"land","channel":"window","reported_at":"2025-03-01T09:30:00+08:00","status":"rated","closed_at":"2025-03-02T09:30:00+08:00","rating":9"#), "rating must be an integer from 1 to 5"),
            (#"{"type":"Feature","geometry":{"type":"LineString","coordinates":[[106.9,30.8],[107,30.9]]},"properties":{"category":"land","channel":"window","reported_at":"2025-03-01T09:30:00+08:00"}}"#, "a Point is required"),
            (feature(Position(2.35, 48.85), #""category":"land","channel":"window","reported_at":"2025-03-01T09:30:00+08:00""#), "outside China"),
        ]
        func problems(_ bytes: [UInt8]) -> [ImportProblem] {
            do { _ = try CaseHistoryReader().read(bytes); return [] } catch { return error.problems }
        }
        for (bad, reason) in cases {
            let found = problems(collection([good, bad, later]))
            #expect(found.count == 1 && found.first?.feature == 1 && found.first?.reason.contains(reason) == true, "\(found)")
        }
        // Two records with one external id: both named.
        let twice = feature(p, #""external_id":"X1","category":"land","channel":"window","reported_at":"2025-03-01T09:30:00+08:00""#)
        #expect(problems(collection([twice, twice])).map(\.feature) == [1])
        #expect(problems(collection([good, good])).first?.reason.contains("the same case") == true)
        // A level the place has no unit of: nothing stored.
        let outside = feature(Position(106.5, 30.5), #""category":"land","channel":"window","reported_at":"2025-03-01T09:30:00+08:00","level":"village""#)
        do {
            _ = try d.importHistory(try CaseHistoryReader().read(collection([good, outside])), actor: Actor("import", source: "import"))
            Issue.record("imported a village case in no grid")
        } catch let e as ImportError {
            #expect(e.problems.map(\.feature) == [1] && e.description.contains("level village"))
        }
        #expect(try d.cases.count() == 0)
    }

    @Test func gcj02PointsAreStoredInWGS84() throws {
        let (_, p) = try inside(3)
        let shifted = try ChinaOffset.wgs84ToGCJ02(p)
        let r = try CaseHistoryReader(crs: .gcj02).read(collection([feature(shifted, #""category":"land","channel":"window","reported_at":"2025-03-01T09:30:00+08:00""#)]))
        #expect(Geodesy.distance(r[0].position, p) < 0.05)
        // Times as databases write them: a space for the T, fractions of a second.
        let spaced = try CaseHistoryReader().read(collection([feature(p, #""category":"land","channel":"window","reported_at":"2025-03-01 09:30:00.5+08:00""#)]))
        #expect(spaced[0].reportedAt == ChinaTime.date("2025-03-01T09:30:00+08:00")! + 0.5)
    }
}
