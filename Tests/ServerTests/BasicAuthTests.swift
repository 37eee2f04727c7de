import Foundation
import Testing
import Geo
@testable import Server

/// Clients that can send Basic authentication but no bearer header — QGIS (its methods are Basic,
/// PKI and Esri token) and GDAL (`GDAL_HTTP_USERPWD`) — hold the token as the password.
@Suite struct BasicAuthTests {
    /// QGIS 3.22 itself (Debian's python3-qgis, offscreen), with a Basic authentication
    /// configuration as a user makes one: a viewer's credentials load every grid and case; a wrong
    /// password loads nothing.
    @Test(arguments: StoreKind.allCases) func qgisLoadsLayersWithTheTokenAsPassword(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let script = repoRoot.appendingPathComponent("Tests/Fixtures/qgis_oapif.py").path
        func load(_ password: String, _ collections: [String]) async throws -> [String: JSONObject] {
            let r = try await run("/usr/bin/python3", [script, s.base, password] + collections)
            #expect(r.status == 0, "\(r.err.suffix(800))")
            var layers: [String: JSONObject] = [:]
            for line in r.out.split(separator: "\n") where line.hasPrefix("{") {
                if let o = try JSONParser.parse(String(line)).objectValue, let name = o["collection"]?.stringValue { layers[name] = o }
            }
            return layers
        }
        let loaded = try await load(s.tokens[.viewer]!, ["grids", "cases"])
        for (collection, table) in [("grids", "grids"), ("cases", "cases")] {
            let layer = try #require(loaded[collection], "QGIS printed nothing for \(collection)")
            #expect(layer["valid"] == .bool(true))
            let want = try s.count(table)
            #expect(layer["features"]?.integerValue == Int64(want), "\(collection): \(layer)")
        }
        let refused = try await load("wg_not-a-token", ["grids"])
        #expect(refused["grids"]?["valid"] == JSONValue.bool(false) && refused["grids"]?["features"]?.integerValue == 0, "\(refused)")
    }

    /// GDAL's `GDAL_HTTP_USERPWD`, and curl's `-u`: any user name, the token as the password; a
    /// wrong or malformed one is a 401 problem (never a 500).
    @Test(arguments: StoreKind.allCases) func gdalAndCurlSendTheTokenAsPassword(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let info = try await run("/usr/bin/ogrinfo", ["--config", "GDAL_HTTP_USERPWD", "gdal:\(s.tokens[.viewer]!)", "-ro", "-so", "OAPIF:\(s.base)/", "grids"])
        let grids = try s.count("grids")
        #expect(info.status == 0 && info.out.contains("Feature Count: \(grids)"), "\(info.out.prefix(300)) \(info.err)")
        let denied = try await run("/usr/bin/ogrinfo", ["--config", "GDAL_HTTP_USERPWD", "gdal:wrong", "-ro", "-so", "OAPIF:\(s.base)/", "grids"])
        #expect(denied.status != 0 && !denied.out.contains("Feature Count"))

        let path = "\(s.base)/collections/grids/items?limit=1"
        let ok = try await run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", "anyone:\(s.tokens[.viewer]!)", path])
        #expect(ok.out == "200")
        // A dispatcher's token as a password is a dispatcher: the same roles as with Bearer.
        let write = try await run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", ":\(s.tokens[.viewer]!)",
                                                     "-H", "Content-Type: application/json", "-d", "{}", "\(s.base)/api/cases"])
        #expect(write.out == "403")
        let wrong = try await run("/usr/bin/curl", ["-s", "-i", "-u", "anyone:wrong", path])
        #expect(wrong.out.hasPrefix("HTTP/1.1 401") && wrong.out.contains("application/problem+json"), "\(wrong.out)")
        // The challenge is Bearer only: a browser shown Basic would pop up a box, and URLSession on
        // Linux never returns from one.
        #expect(wrong.out.contains("WWW-Authenticate: Bearer") && !wrong.out.contains("Basic realm"))
        for header in ["Basic !!!", "Basic " + Data("no colon".utf8).base64EncodedString(), "Basic " + String(repeating: "QUFB", count: 2000), "Digest x"] {
            let r = try await run("/usr/bin/curl", ["-s", "-i", "-H", "Authorization: \(header)", path])
            #expect(r.out.hasPrefix("HTTP/1.1 401") && r.out.contains("application/problem+json"), "\(header.prefix(20)): \(r.out.prefix(200))")
        }
        // And with none.
        let none = try await run("/usr/bin/curl", ["-s", "-i", "\(s.base)/api/cases"])
        #expect(none.out.hasPrefix("HTTP/1.1 401") && !none.out.contains("Basic"), "\(none.out)")
    }
}
