import Foundation
import Testing
import Geo
@testable import Server

/// GDAL's OGC API – Features driver reads every collection of the running server completely.
@Suite struct GDALTests {
    func gdal(_ tool: String, _ s: TestServer, _ args: [String]) async throws -> (status: Int32, out: String, err: String) {
        try await run("/usr/bin/\(tool)", ["--config", "GDAL_HTTP_HEADERS", "Authorization: Bearer \(s.tokens[.viewer]!)"] + args)
    }

    @Test(arguments: StoreKind.allCases) func ogrinfoCountsEveryCollection(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        for (collection, table) in [("boundaries", "boundaries"), ("grids", "grids"), ("cameras", "cameras"), ("households", "households")] {
            let r = try await gdal("ogrinfo", s, ["-ro", "-so", "OAPIF:\(s.base)/", collection])
            #expect(r.status == 0, "\(collection): \(r.err)")
            let want = try s.count(table)
            #expect(r.out.contains("Feature Count: \(want)"), "\(collection): \(r.out.prefix(400))")
        }
        let cases = try await gdal("ogrinfo", s, ["-ro", "-so", "OAPIF:\(s.base)/", "cases"])
        #expect(cases.status == 0 && cases.out.contains("Geometry: Point") && cases.out.contains("status: String"))
    }

    /// On a server of its own, so that no other test adds cases while GDAL pages through them.
    @Test(arguments: StoreKind.allCases) func ogr2ogrReadsEveryCollectionCompletely(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let keys = ["boundaries": "code", "grids": "grid_id", "cameras": "camera_id", "cases": "case_id", "households": "household_id"]
        for (collection, table) in [("boundaries", "boundaries"), ("grids", "grids"), ("cameras", "cameras"), ("cases", "cases"), ("households", "households")] {
            let out = s.dir.path("\(collection)-\(UUID().uuidString).geojson")
            let r = try await gdal("ogr2ogr", s, ["-f", "GeoJSON", out, "OAPIF:\(s.base)/", collection])
            #expect(r.status == 0, "\(r.err)")
            let doc = try GeoJSONReader().read(Array(try Data(contentsOf: URL(fileURLWithPath: out))))
            let ids = Set(doc.features.compactMap { $0[property: keys[collection]!] })
            let want = try s.count(table)
            #expect(doc.features.count == want && ids.count == want, "\(collection): \(doc.features.count) of \(want)")
        }
    }
}
