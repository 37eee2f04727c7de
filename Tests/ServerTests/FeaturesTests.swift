import Foundation
import Testing
import Geo
@testable import Grid
@testable import Server

/// OGC API – Features against the running server, checked against the database and PROJ.
@Suite struct FeaturesTests {
    @Test(arguments: StoreKind.allCases) func landingConformanceAndCollections(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let landing = try await s.call("/")
        #expect(landing.status == 200)
        let rels = landing.object["links"]?.arrayValue?.compactMap { $0.objectValue?["rel"]?.stringValue } ?? []
        #expect(Set(rels).isSuperset(of: ["self", "service-desc", "conformance", "data"]))
        let conf = try await s.call("/conformance").object["conformsTo"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(conf.contains("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"))
        #expect(conf.contains("http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"))
        #expect(conf.contains("http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter"))
        #expect(conf.contains("http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions"))
        let ids = try await s.call("/collections").object["collections"]?.arrayValue?.compactMap { $0.objectValue?["id"]?.stringValue }
        #expect(ids == ["boundaries", "grids", "microgrids", "cameras", "camera_views", "cases", "households"])
        let grids = try await s.call("/collections/grids").object
        #expect(grids["crs"]?.arrayValue?.count == 5)
        #expect(grids["extent"]?.objectValue?["spatial"] != nil)
    }

    /// Every path the OpenAPI document lists answers (with sample parameters), never 404 or 500,
    /// and every JSON answer (and error) is what the document's schema for it says, checked by
    /// Debian's python3-jsonschema.
    @Test(arguments: StoreKind.allCases) func theAPIDocumentMatchesTheServer(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let api = try await s.call("/api")
        #expect(api.headers["content-type"]?.hasPrefix("application/vnd.oai.openapi+json") == true)
        #expect(api.object["openapi"]?.stringValue == "3.0.3")
        let paths = api.object["paths"]?.objectValue?.members ?? []
        #expect(paths.count >= 25)
        let grid = tinyDemo.result.grids[0].code
        var answers: [JSONValue] = []
        func record(_ path: String, _ method: String, _ r: TestServer.Reply) {
            let type = (r.headers["content-type"] ?? "").split(separator: ";").first.map(String.init) ?? ""
            guard type.hasSuffix("json"), let body = r.json else { return }
            answers.append(.object(JSONObject([("path", .string(path)), ("method", .string(method)), ("status", .integer(Int64(r.status))),
                                               ("type", .string(type == "application/vnd.oai.openapi+json" ? "application/vnd.oai.openapi+json;version=3.0" : type)),
                                               ("body", body)])))
        }
        for (path, ops) in paths {
            for (method, _) in ops.objectValue?.members ?? [] where method == "get" {
                let concrete = path.replacingOccurrences(of: "{collectionId}", with: "grids").replacingOccurrences(of: "{layer}", with: "grids")
                    .replacingOccurrences(of: "{z}/{x}/{y}", with: "10/816/419").replacingOccurrences(of: "{featureId}", with: grid)
                    .replacingOccurrences(of: "{id}", with: "1").replacingOccurrences(of: "{code}", with: path.contains("grids/") ? grid : "NOPE")
                    + (path == "/api/assign" ? "?lon=106.97&lat=30.84" : "")
                if path == "/api/events" { continue }   // a stream: tested on its own
                let r = try await s.call(concrete, role: path.hasPrefix("/api/plans") || path.hasPrefix("/api/grids") ? .planner : .dispatcher)
                // A 404 may say the plan or code does not exist; never that the route does not.
                #expect(r.status != 500 && r.status != 405 && !(r.status == 404 && r.text.contains("no such resource")),
                        "GET \(concrete) → \(r.status) \(r.text.prefix(200))")
                record(path, method, r)
            }
        }
        // The answers that only writes give, as each role sees them.
        let body = #"{"category":"debt","description":"欠款","location":{"type":"Point","coordinates":[106.97,30.84]}}"#
        record("/api/cases", "post", try await s.call("POST", "/api/cases", role: .dispatcher, json: body))
        record("/api/cases", "get", try await s.call("/api/cases?limit=5", role: .viewer))
        record("/api/cases/{id}", "get", try await s.call("/api/cases/1", role: .viewer))
        record("/api/assign", "get", try await s.call("/api/assign?lon=106.97&lat=30.84", role: .viewer))
        record("/api/assign", "get", try await s.call("/api/assign?lon=120&lat=40", role: .viewer))
        record("/api/plans", "post", try await s.call("POST", "/api/plans", role: .planner, json: #"{"name":"schema check"}"#))
        record("/api/session", "get", try await s.call("/api/session"))
        record("/api/cases/{id}/transitions", "post",
               try await s.call("POST", "/api/cases/1/transitions", role: .dispatcher, json: #"{"to":"accepted"}"#))
        #expect(answers.count >= 25)
        let doc = s.dir.write("api.json", api.text)
        var w = JSONWriter()
        w.value(.array(answers))
        let recorded = s.dir.write("answers.json", w.text)
        let check = try await run("/usr/bin/python3", [repoRoot.appendingPathComponent("Tests/Fixtures/validate_openapi.py").path, doc, recorded])
        #expect(check.status == 0, "\(check.out)\(check.err)")
        #expect(check.out.contains("0 not as documented"))
    }

    @Test(arguments: StoreKind.allCases) func itemsPageCompletelyByNextLinks(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        var url: String? = "/collections/grids/items?limit=7"
        var ids: [String] = []
        var matched = 0
        while let u = url {
            let r = try await s.call(u, role: .viewer)
            #expect(r.status == 200)
            #expect(r.headers["content-type"] == "application/geo+json")
            let o = r.object
            matched = Int(o["numberMatched"]?.integerValue ?? -1)
            let features = o["features"]?.arrayValue ?? []
            #expect(o["numberReturned"]?.integerValue == Int64(features.count))
            ids += features.compactMap { $0.objectValue?["id"]?.stringValue }
            url = o["links"]?.arrayValue?.first { $0.objectValue?["rel"]?.stringValue == "next" }?.objectValue?["href"]?.stringValue
        }
        #expect(matched == tinyDemo.result.grids.count)
        #expect(ids.count == matched && Set(ids).count == matched)
        // Default and maximum limits.
        let d = try await s.call("/collections/households/items", role: .viewer).object
        #expect(d["numberReturned"]?.integerValue == 100)
        let m = try await s.call("/collections/households/items?limit=50000", role: .viewer).object
        #expect(m["numberReturned"]?.integerValue == min(10_000, m["numberMatched"]?.integerValue ?? 0))
    }

    /// bbox selects exactly what the database's own ST_Intersects selects.
    @Test(arguments: StoreKind.allCases) func bboxAgreesWithTheDatabase(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let b = tinyDemo.result.grids[3].polygon.exterior.reduce(into: BoundingBox(minLon: 180, minLat: 90, maxLon: -180, maxLat: -90)) { $0.extend($1) }
        let q = "\(b.minLon),\(b.minLat),\(b.maxLon),\(b.maxLat)"
        let r = try await s.call("/collections/grids/items?bbox=\(q)&limit=1000", role: .viewer).object
        let got = Set(r["features"]?.arrayValue?.compactMap { $0.objectValue?["id"]?.stringValue } ?? [])
        let want = try s.ids("grids", "grid_id", meeting: b)
        #expect(got.count > 1)
        #expect(got == want)
        // The same box given in EPSG:3857 and in EPSG:4326 (latitude first) selects the same grids.
        let p = try ProjTransform(from: .crs84, to: .webMercator)
        let lo = try p.transform(Position(b.minLon, b.minLat)), hi = try p.transform(Position(b.maxLon, b.maxLat))
        let m = try await s.call("/collections/grids/items?bbox=\(lo.lon),\(lo.lat),\(hi.lon),\(hi.lat)&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3857&limit=1000", role: .viewer).object
        let mercator: Set<String> = Set(m["features"]?.arrayValue?.compactMap { $0.objectValue?["id"]?.stringValue } ?? [])
        #expect(mercator.isSuperset(of: want))
        let ll = try await s.call("/collections/grids/items?bbox=\(b.minLat),\(b.minLon),\(b.maxLat),\(b.maxLon)&bbox-crs=EPSG:4326&limit=1000", role: .viewer).object
        let latLon: Set<String> = Set(ll["features"]?.arrayValue?.compactMap { $0.objectValue?["id"]?.stringValue } ?? [])
        #expect(latLon == want)
    }

    @Test(arguments: StoreKind.allCases) func outputCRSs(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let g = tinyDemo.result.grids[0]
        let v = g.polygon.exterior[0]
        func first(_ crs: String) async throws -> (Position, String?) {
            let r = try await s.call("/collections/grids/items/\(g.code)?crs=\(crs)", role: .viewer)
            #expect(r.status == 200)
            let ring = r.object["geometry"]?.objectValue?["coordinates"]?.arrayValue?[0].arrayValue ?? []
            let pts = ring.map { Position($0.arrayValue![0].doubleValue!, $0.arrayValue![1].doubleValue!) }
            return (pts.min { ($0.lon, $0.lat) < ($1.lon, $1.lat) } ?? Position(0, 0), r.headers["content-crs"])
        }
        func near(_ a: Position, _ b: Position, _ tol: Double) -> Bool { abs(a.lon - b.lon) <= tol && abs(a.lat - b.lat) <= tol }
        // Compare the smallest coordinate pair: ring start and orientation may differ by CRS.
        let all = g.polygon.exterior
        let (crs84, h) = try await first("CRS84")
        #expect(near(crs84, all.min { ($0.lon, $0.lat) < ($1.lon, $1.lat) }!, 1e-7))
        #expect(h == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>")
        let (ll, _) = try await first("http://www.opengis.net/def/crs/EPSG/0/4326")
        #expect(near(ll, all.map { Position($0.lat, $0.lon) }.min { ($0.lon, $0.lat) < ($1.lon, $1.lat) }!, 1e-7))
        let p = try ProjTransform(from: .crs84, to: .webMercator)
        let (m, _) = try await first("EPSG:3857")
        #expect(near(m, try all.map { try p.transform($0) }.min { ($0.lon, $0.lat) < ($1.lon, $1.lat) }!, 0.01))
        let (gcj, gh) = try await first("GCJ-02")
        #expect(near(gcj, try all.map { try ChinaOffset.wgs84ToGCJ02($0) }.min { ($0.lon, $0.lat) < ($1.lon, $1.lat) }!, 1e-7))
        #expect(gh == "<GCJ-02>")
        _ = v
    }

    @Test(arguments: StoreKind.allCases) func zoomSimplifiesAndKeepsNeighboursMeeting(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let full = try await s.call("/collections/grids/items?limit=1000", role: .viewer)
        let z10 = try await s.call("/collections/grids/items?limit=1000&zoom=10", role: .viewer)
        #expect(z10.body.count < full.body.count)
        let ctx = GEOSContext()
        let doc = try GeoJSONReader().read(Array(z10.body))
        let shapes = try doc.features.map { try ctx.shape($0.geometry!) }
        let originals = try tinyDemo.result.grids.map { try ctx.shape(.polygon($0.polygon)) }
        var pairs = 0
        for i in 0..<min(60, shapes.count) {
            for j in (i + 1)..<shapes.count where originals[i].sharesEdge(with: originals[j]) {
                pairs += 1
                #expect(shapes[i].sharesEdge(with: shapes[j]))
                #expect(!shapes[i].overlapsInArea(shapes[j]))
            }
        }
        #expect(pairs > 20)
    }

    @Test(arguments: StoreKind.allCases) func filtersEtagsAndGzip(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let town = tinyDemo.result.grids[0].townCode!
        let r = try await s.call("/collections/grids/items?town_code=\(town)&limit=1000", role: .viewer)
        let features = r.object["features"]?.arrayValue ?? []
        #expect(features.count == tinyDemo.result.grids.filter { $0.townCode == town }.count)
        let etag = try #require(r.headers["etag"])
        let again = try await s.call("/collections/grids/items?town_code=\(town)&limit=1000", role: .viewer, headers: ["If-None-Match": etag])
        #expect(again.status == 304)
        // gzip, seen by curl (URLSession would decompress silently).
        let c = try await run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-D", "-", "-H", "Accept-Encoding: gzip",
                                         "-H", "Authorization: Bearer \(s.tokens[.viewer]!)", "\(s.base)/collections/grids/items?limit=1000"])
        #expect(c.out.lowercased().contains("content-encoding: gzip"))
        // Cases by status and time, oldest first.
        let cases = try await s.call("/collections/cases/items?status=assigned&datetime=2000-01-01T00:00:00Z/..", role: .viewer).object
        #expect((cases["numberMatched"]?.integerValue ?? 0) > 0)
        let none = try await s.call("/collections/cases/items?datetime=../2001-01-01T00:00:00Z", role: .viewer).object
        #expect(none["numberMatched"]?.integerValue == 0)
    }

    /// Bad requests get the right 4xx with a problem+json body; the server stays up.
    @Test(arguments: StoreKind.allCases) func badRequestsAreProblems(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let cases: [(String, Int)] = [
            ("/collections/grids/items?bbox=1,2,3", 400), ("/collections/grids/items?bbox=107,31,106,30", 400),
            ("/collections/grids/items?bbox=NaN,1,2,3", 400), ("/collections/grids/items?limit=-1", 400),
            ("/collections/grids/items?limit=0", 400), ("/collections/grids/items?crs=EPSG:2000", 400),
            ("/collections/grids/items?bbox-crs=EPSG:3857", 400), ("/collections/grids/items?colour=red", 400),
            ("/collections/cameras/items?datetime=2020-01-01T00:00:00Z", 400), ("/collections/cases/items?datetime=yesterday", 400),
            ("/collections/nope/items", 404), ("/collections/grids/items/nope", 404), ("/nowhere", 404),
            ("/collections/grids/items?zoom=99", 400), ("/api/cases/abc", 404), ("/api/cases/99999", 404),
            ("/api/stats?by=moon", 400), ("/api/assign?lon=1", 400), ("/api/track/NOPE-NOPE", 404),
        ]
        for (path, status) in cases {
            let r = try await s.call(path, role: .dispatcher)
            #expect(r.status == status, "\(path) → \(r.status) \(r.text)")
            #expect(r.headers["content-type"] == "application/problem+json", "\(path)")
            #expect(r.object["status"]?.integerValue == Int64(status) && r.object["detail"]?.stringValue?.isEmpty == false, "\(path)")
        }
        #expect(try await s.call("/healthz").status == 200)
    }

    /// `/collections/{id}/queryables` (Part 3): a JSON Schema of exactly the properties the items
    /// filter on, typed as the features carry them; each one filters (the server takes it).
    @Test(arguments: StoreKind.allCases) func queryablesSayWhatItemsFilterOn(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        for id in MapCatalog.ids {
            let r = try await s.call("/collections/\(id)/queryables")
            #expect(r.status == 200 && r.headers["content-type"] == "application/schema+json", "\(id): \(r.status)")
            #expect(r.object["$schema"]?.stringValue == "https://json-schema.org/draft/2020-12/schema")
            let properties = try #require(r.object["properties"]?.objectValue, "\(id)")
            let collection = try await s.call("/collections/\(id)").object
            #expect((collection["links"]?.arrayValue ?? []).contains { $0.objectValue?["href"]?.stringValue?.hasSuffix("/collections/\(id)/queryables") == true })
            let page = try await s.call("/collections/\(id)/items?limit=1", role: .viewer).object
            let first = page["features"]?.arrayValue?.first?.objectValue?["properties"]?.objectValue
            #expect(properties["geometry"]?.objectValue?["format"]?.stringValue?.hasPrefix("geometry-") == true, "\(id)")
            for (name, schema) in properties.members where name != "geometry" {
                // Typed as the first feature has it (times as date-time text), and a filter on it is
                // taken — by the store's SQL for the collections read from the database.
                if let value = first?[name], value != .null {
                    let want: String = switch value { case .integer: "integer"; case .number: "number"; case .bool: "boolean"; default: "string" }
                    #expect(schema.objectValue?["type"]?.stringValue == want, "\(id).\(name)")
                    #expect((schema.objectValue?["format"]?.stringValue == "date-time") == name.hasSuffix("_at"), "\(id).\(name)")
                }
                let filtered = try await s.call("/collections/\(id)/items?limit=1&filter=\(name)%20IS%20NULL%20OR%20\(name)%20IS%20NOT%20NULL", role: .viewer)
                #expect(filtered.status == 200, "\(id).\(name): \(filtered.text.prefix(200))")
                #expect(filtered.object["numberMatched"] == page["numberMatched"], "\(id).\(name)")
            }
            let unknown = try await s.call("/collections/\(id)/items?limit=1&no_such_property=1", role: .viewer)
            #expect(unknown.status == 400 && properties["no_such_property"] == nil)
        }
        #expect(try await s.call("/collections/nothing/queryables").status == 404)
    }
}
