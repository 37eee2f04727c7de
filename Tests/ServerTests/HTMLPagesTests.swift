import Foundation
import Testing
import Geo
@testable import Server

/// The OGC API pages for browsers: `/`, `/collections`, `/collections/{id}` and its items answer
/// HTML when a browser asks (Accept) or `f=html`; map clients still get JSON.
@Suite struct HTMLPagesTests {
    func curl(_ args: [String]) async throws -> (head: String, body: String) {
        let r = try await run("/usr/bin/curl", ["-s", "-i"] + args)
        let parts = r.out.components(separatedBy: "\r\n\r\n")
        return (parts.first ?? "", parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    @Test(arguments: StoreKind.allCases) func browsersGetPagesAndClientsJSON(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let browser = "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        let landing = try await curl(["-H", browser, "\(s.base)/"])
        #expect(landing.head.hasPrefix("HTTP/1.1 200") && landing.head.contains("text/html"), "\(landing.head)")
        #expect(landing.head.contains("Content-Security-Policy: default-src 'self'"))
        for href in ["/map", "/api", "/collections?f=html", "/collections/grids?f=html", "/collections/cases?f=html"] {
            #expect(landing.body.contains("href=\"\(href)\""), "the landing page has no link to \(href)")
        }
        #expect(landing.body.contains("数据集") && landing.body.contains("Collections"))
        // Map clients: JSON, as before (GDAL and QGIS send no text/html).
        let json = try await s.call("/", headers: ["Accept": "application/json"])
        #expect(json.headers["content-type"]?.hasPrefix("application/json") == true && json.object["links"] != nil)
        let collections = try await curl(["\(s.base)/collections?f=html"])
        for id in MapCatalog.ids { #expect(collections.body.contains("/collections/\(id)?f=html"), "\(id)") }
        let one = try await curl(["-H", browser, "\(s.base)/collections/grids"])
        #expect(one.body.contains("/collections/grids/items?f=html") && one.body.contains("<code>grid_id</code>"))

        // Items: a table of this page's features with next/previous links, and the map's GeoJSON.
        let auth = "Authorization: Bearer \(s.tokens[.viewer]!)"
        let first = try await curl(["-H", auth, "\(s.base)/collections/grids/items?f=html&limit=5"])
        #expect(first.head.hasPrefix("HTTP/1.1 200"), "\(first.head)")
        let rows = first.body.components(separatedBy: "<tr><td>").count - 1
        #expect(rows == 5)
        let grids = try s.count("grids")
        #expect(first.body.contains("共 \(grids) 个") && first.body.contains("\(grids) matched"))
        #expect(first.body.contains("offset=5") && first.body.contains("下一页 next") && !first.body.contains("上一页 previous"))
        #expect(first.body.contains("data-geojson=\"/collections/grids/items?limit=5&amp;f=json&amp;offset=0\""), "\(first.body.prefix(1500))")
        let second = try await curl(["-H", auth, "\(s.base)/collections/grids/items?f=html&limit=5&offset=5"])
        #expect(second.body.contains("上一页 previous") && second.body.contains("显示 6–10"))
        // One feature: its properties, and the JSON still for clients.
        let code = try #require(tinyDemo.result.grids.first?.code)
        let item = try await curl(["-H", auth, "-H", browser, "\(s.base)/collections/grids/items/\(code)"])
        #expect(item.head.contains("text/html") && item.body.contains("<th>grid_id</th><td>\(code)</td>"), "\(item.body.prefix(600))")
        #expect(try await s.call("/collections/grids/items/\(code)", role: .viewer).object["type"]?.stringValue == "Feature")
        #expect(try await s.call("/conformance").text.contains("ogcapi-features-1/1.0/conf/html"))
        // What the client sent is escaped, never echoed as markup.
        let hostile = try await curl(["-H", auth, "\(s.base)/collections/grids/items?f=html&limit=1&grid_id=%3Cscript%3Ealert(1)%3C/script%3E"])
        #expect(hostile.head.hasPrefix("HTTP/1.1 200") && !hostile.body.contains("<script>alert") && hostile.body.contains("%3Cscript%3E"), "\(hostile.body.prefix(800))")
        // The same rules as JSON: no token, no items; unknown f is a problem.
        let unsigned = try await curl(["-H", browser, "\(s.base)/collections/grids/items"])
        #expect(unsigned.head.hasPrefix("HTTP/1.1 401") && unsigned.head.contains("text/html") && unsigned.body.contains("href=\"/map\""), "\(unsigned.head)")
        let client = try await curl(["\(s.base)/collections/grids/items"])
        #expect(client.head.hasPrefix("HTTP/1.1 401") && client.head.contains("application/problem+json"))
        #expect(try await curl(["-H", auth, "\(s.base)/collections/grids/items?f=pdf"]).head.hasPrefix("HTTP/1.1 400"))
    }

    /// In Chromium, signed in: the items page draws its features on its small map, without errors.
    @Test func theItemsPageDrawsItsFeatures() async throws {
        let s = try await SharedServer.instance.get(.spatialite)
        let b = try await Browser()
        do {
            try await b.signIn(s.base, token: s.tokens[.viewer]!)
            try await b.go("\(s.base)/collections/grids/items?f=html&limit=20")
            _ = try await b.wait(for: "return document.body.dataset.ready", seconds: 120, "the items map")
            #expect(try await b.run("return document.body.dataset.ready") == .string("true"))
            #expect(try await b.run("return document.body.dataset.features") == .string("20"))
            #expect(try await b.run("return document.querySelectorAll('#items-map path').length").integerValue == 20)
            #expect(try await b.run("return document.querySelectorAll('tbody tr').length").integerValue == 20)
            let errors = try await b.console().filter { $0.level == "SEVERE" }
            #expect(errors.isEmpty, "\(errors)")
            _ = try MapPageTests.keep(try await b.screenshot(), "items-page.png")
            await b.close()
        } catch {
            await b.close()
            throw error
        }
    }
}
