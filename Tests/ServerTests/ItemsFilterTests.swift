import Foundation
import Testing
import Geo
@testable import Cases
@testable import Grid
@testable import Server

/// OGC API – Features Part 3 (CQL2 filters) against the running server on both stores: every
/// filter's features are those pygeofilter (tipg's and pygeoapi's parser) with shapely selects
/// from the whole collection — for grids and boundaries held in memory, for cases, cameras and
/// households filtered in the database's SQL — in cql2-text and in pygeofilter's own cql2-json.
@Suite struct ItemsFilterTests {
    /// The test venv `make test` makes (pygeofilter and shapely from PyPI).
    static let python = repoRoot.appendingPathComponent(".build/venv-test/bin/python").path

    /// A server with the tiny county and 200 more disputes of every category, channel and
    /// priority, some of them accepted, resolved or closed (so statuses and times vary).
    static func server(_ kind: StoreKind) async throws -> TestServer {
        let s = try await TestServer(kind: kind)
        try await offPool {
            let store = try s.store()
            let d = try Dispatcher(store: store)
            let hs = try store.grids.households()
            let channels: [Case.Channel] = [.window, .qr, .patrol, .hotline]
            let actor = Actor("seed", source: "test")
            for k in 0..<200 {
                let c = try d.intake(IntakeRequest(category: Case.Category.allCases[k % 9], channel: channels[k % 4], priority: k % 5 == 0 ? .urgent : .normal,
                                                   description: "dispute \(k)", location: .household(hs[(k * 131) % hs.count].id)), actor: actor)
                guard k % 3 != 0 else { continue }
                _ = try d.transition(caseID: c.id, TransitionRequest(to: .accepted), actor: actor)
                if k % 3 == 2 { _ = try d.transition(caseID: c.id, TransitionRequest(to: .resolved, note: "done"), actor: actor) }
            }
        }
        return s
    }

    /// Every feature of a collection (with the given extra query), by id.
    static func all(_ s: TestServer, _ collection: String, _ extra: String = "") async throws -> (ids: [String], body: JSONValue) {
        var features: [JSONValue] = []
        while true {
            let r = try await s.call("/collections/\(collection)/items?limit=10000&offset=\(features.count)\(extra)", role: .dispatcher)
            #expect(r.status == 200, "\(r.text.prefix(300))")
            let page = r.object["features"]?.arrayValue ?? []
            features += page
            if page.count < 10000 { break }
        }
        let ids = features.compactMap { f -> String? in
            switch f.objectValue?["id"] { case .string(let s)?: s; case .integer(let i)?: String(i); default: nil }
        }
        return (ids.sorted(), .object(JSONObject([("type", "FeatureCollection"), ("features", .array(features))])))
    }

    static func jsonText(_ v: JSONValue) -> String { var w = JSONWriter(); w.value(v); return w.text }

    static func encoded(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }

    /// The filtered ids from the server (every page), and its numberMatched.
    static func filtered(_ s: TestServer, _ collection: String, _ filter: String, lang: String = "cql2-text", extra: String = "") async throws
        -> (ids: [String], matched: Int?, status: Int, text: String) {
        let r = try await s.call("/collections/\(collection)/items?limit=10000&filter-lang=\(lang)&filter=\(encoded(filter))\(extra)", role: .dispatcher)
        let ids = (r.object["features"]?.arrayValue ?? []).compactMap { f -> String? in
            switch f.objectValue?["id"] { case .string(let s)?: s; case .integer(let i)?: String(i); default: nil }
        }
        return (ids.sorted(), r.object["numberMatched"]?.integerValue.map(Int.init), r.status, r.text)
    }

    /// What pygeofilter selects from `features` for each filter, and its cql2-json for them.
    static func oracle(_ features: JSONValue, _ filters: [String]) async throws -> [(filter: String, ids: [String], json: String)] {
        #expect(FileManager.default.isExecutableFile(atPath: python), "no \(python): `make test` makes it")
        let dir = TempDir()
        let file = dir.url.appendingPathComponent("features.geojson")
        try Data(jsonText(features).utf8).write(to: file)
        let input = dir.url.appendingPathComponent("filters.txt")
        try Data(filters.joined(separator: "\n").utf8).write(to: input)
        let r = try await run("/bin/sh", ["-c", "\(python) \(repoRoot.appendingPathComponent("Tests/Fixtures/cql2_oracle.py").path) \(file.path) < \(input.path)"])
        #expect(r.status == 0, "\(r.err)")
        return try (JSONParser.parse(r.out).arrayValue ?? []).map { v in
            let o = try #require(v.objectValue)
            return (o["filter"]?.stringValue ?? "", (o["ids"]?.arrayValue ?? []).compactMap(\.stringValue).sorted(), jsonText(o["json"] ?? .null))
        }
    }

    /// Each filter on the server, as text and as pygeofilter's JSON, against the oracle; each
    /// must select something and leave something out, or it tests nothing.
    static func agree(_ s: TestServer, _ collection: String, _ filters: [String], extra: String = "") async throws {
        let everything = try await all(s, collection, extra)
        for o in try await oracle(everything.body, filters) {
            #expect(!o.ids.isEmpty && o.ids.count < everything.ids.count, "\(collection): \(o.filter) selects \(o.ids.count) of \(everything.ids.count)")
            let text = try await filtered(s, collection, o.filter, extra: extra)
            #expect(text.status == 200, "\(o.filter): \(text.text.prefix(300))")
            #expect(text.ids == o.ids, "\(s.kind) \(collection): \(o.filter) → \(text.ids.count) features, pygeofilter \(o.ids.count)")
            #expect(text.matched == o.ids.count, "\(o.filter): numberMatched \(text.matched ?? -1)")
            let json = try await filtered(s, collection, o.json, lang: "cql2-json", extra: extra)
            #expect(json.ids == o.ids, "\(s.kind) \(collection): cql2-json \(o.json) → \(json.ids.count), pygeofilter \(o.ids.count) \(json.text.prefix(200))")
        }
    }

    @Test(arguments: StoreKind.allCases) func filtersSelectWhatPygeofilterSelects(_ kind: StoreKind) async throws {
        let s = try await Self.server(kind)
        let grids = tinyDemo.result.grids
        let g = grids[grids.count / 2]
        let town = try #require(tinyDemo.result.towns.first { $0.code == g.townCode }?.name)
        // The grid as the store holds it (served GeoJSON rounds to 1e-7°, too coarse for touching).
        let exact = try #require(try s.store().grids.grids().first { $0.code == g.code }).polygon
        let wkt = "POLYGON((" + exact.rings[0].map { "\($0.lon) \($0.lat)" }.joined(separator: ", ") + "))"
        guard case .point(let p) = try GEOSContext().shape(.polygon(g.polygon)).pointOnSurface().geometry else { Issue.record("no point on \(g.code)"); return }
        // The grids' extent (padded: no grid edge lies on it) and its western half.
        var e = BoundingBox(minLon: 180, minLat: 90, maxLon: -180, maxLat: -90)
        for grid in grids { for q in grid.polygon.rings[0] { e.extend(q) } }
        e = BoundingBox(minLon: e.minLon - 0.001, minLat: e.minLat - 0.001, maxLon: e.maxLon + 0.001, maxLat: e.maxLat + 0.001)
        let (mx, my) = ((e.minLon + e.maxLon) / 2, (e.minLat + e.maxLat) / 2)
        let west = "POLYGON((\(e.minLon) \(e.minLat), \(mx) \(e.minLat), \(mx) \(e.maxLat), \(e.minLon) \(e.maxLat), \(e.minLon) \(e.minLat)))"
        try await Self.agree(s, "grids", [
            "households > 420 AND town = '\(town)'",
            "households BETWEEN 300 AND 400",
            "NOT town LIKE '%街道' AND households < 350",
            "name LIKE '%第1网格' OR (name LIKE '%第2网格' AND households >= 400)",
            "population > households AND households > 440",
            "S_INTERSECTS(geometry, POINT(\(p.lon) \(p.lat)))",
            "S_CONTAINS(geometry, POINT(\(p.lon) \(p.lat)))",
            "S_WITHIN(geometry, \(west))",
            "S_OVERLAPS(geometry, BBOX(\(mx - 0.02), \(my - 0.02), \(mx + 0.02), \(my + 0.02)))",
            "S_CROSSES(geometry, LINESTRING(\(e.minLon) \(my), \(e.maxLon) \(my)))",
            "S_DISJOINT(geometry, \(west)) AND (kind IN ('urban', 'micro') OR households > 450)",
        ])
        // Touching and equal, decided by the database's own functions on the stored polygons.
        for (f, sql) in [("S_TOUCHES", "ST_Touches"), ("S_EQUALS", "ST_Equals")] {
            let hit = try await Self.filtered(s, "grids", "\(f)(geometry, \(wkt))")
            let truth = kind == .spatialite ? " = 1" : ""
            let want = try rows("SELECT grid_id FROM grids WHERE \(sql)(geom, (SELECT geom FROM grids WHERE grid_id = '\(g.code)'))\(truth)",
                                on: try s.store()).compactMap { $0[0] }.sorted()
            #expect(hit.ids == want && !want.isEmpty, "\(f): \(hit.ids) against the database's \(want)")
        }
        try await Self.agree(s, "boundaries", ["level = 'village' AND S_INTERSECTS(geometry, \(west))", "parent_code IS NULL OR level = 'town'"])
        try await Self.agree(s, "cases", [
            "category = 'labour' AND S_INTERSECTS(geometry, \(west))",
            "status IN ('reported', 'assigned') OR priority = 'urgent'",
            "case_id BETWEEN 5 AND 120 AND NOT category = 'debt'",
            "grid_id LIKE '\(g.code.prefix(9))%' AND channel <> 'qr'",
            "S_WITHIN(geometry, BBOX(\(e.minLon), \(e.minLat), \(mx), \(my)))",
            "status = 'resolved' AND overdue = FALSE AND unlocated = FALSE",
            "(level = 'grid' AND grid_id = '\(g.code)') OR (S_DISJOINT(geometry, \(west)) AND channel = 'patrol')",
        ])
        try await Self.agree(s, "cameras", ["kind = 'tianwang' AND azimuth > 180", "S_WITHIN(geometry, \(west)) AND range_m < 100"])
        // Households: one town's worth (a bbox), the filter combined with it.
        let box = "&bbox=\(mx - 0.05),\(my - 0.05),\(mx + 0.05),\(my + 0.05)"
        try await Self.agree(s, "households", ["households >= 3 AND address LIKE '%1 号'", "population > 10 AND S_INTERSECTS(geometry, \(west))"], extra: box)
    }

    /// Times compare as instants whatever offset they are written in; a null time meets no
    /// comparison (NOT included), as SQL has it; `_` is one character: each checked against the
    /// database's own count.
    @Test(arguments: StoreKind.allCases) func timesLikeAndNullsAreSQLs(_ kind: StoreKind) async throws {
        let s = try await Self.server(kind)
        let code = tinyDemo.result.grids[0].code
        let pattern = String(code.prefix(10)) + "_" + String(code.dropFirst(11).prefix(1)) + "%"
        let like = try await Self.filtered(s, "cases", "grid_id LIKE '\(pattern)'")
        #expect(like.matched == (try s.count("cases", where: "grid_id LIKE '\(pattern)'")) && (like.matched ?? 0) > 0, "\(pattern): \(like.text.prefix(200))")
        let closed = try s.count("cases", where: "resolved_at IS NOT NULL")
        #expect(closed > 50)
        let open = try await Self.filtered(s, "cases", "closed_at IS NULL")
        #expect(open.matched == (try s.count("cases", where: "closed_at IS NULL")))
        let now = ChinaTime.text(Date().addingTimeInterval(-3600))
        let utc = Date().addingTimeInterval(-3600).formatted(.iso8601)
        let recent = try await Self.filtered(s, "cases", "reported_at >= TIMESTAMP('\(utc)')")
        let oracle = s.kind == .spatialite ? "reported_at >= '\(now)'" : "reported_at >= '\(now)'::timestamptz"
        #expect(recent.matched == (try s.count("cases", where: oracle)), "\(recent.text.prefix(200))")
        #expect((recent.matched ?? 0) >= 200)
        let notDue = try await Self.filtered(s, "cases", "NOT due_at > TIMESTAMP('2000-01-01T00:00:00Z')")
        #expect(notDue.matched == 0, "a null due_at is unknown, NOT unknown is unknown")
    }

    /// Filters page like every query (numberMatched, next links), combine with bbox, datetime
    /// and an area token, and take geometries in filter-crs.
    @Test(arguments: StoreKind.allCases) func filtersCombineWithPagingAreasAndCRS(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let filter = Self.encoded("households BETWEEN 300 AND 480")
        let whole = try await Self.filtered(s, "grids", "households BETWEEN 300 AND 480")
        var seen: [String] = []
        var next: String? = "/collections/grids/items?limit=7&filter=\(filter)"
        while let path = next {
            let r = try await s.call(path, role: .viewer)
            #expect(r.object["numberMatched"]?.integerValue.map(Int.init) == whole.ids.count)
            seen += (r.object["features"]?.arrayValue ?? []).compactMap { $0.objectValue?["id"]?.stringValue }
            next = r.object["links"]?.arrayValue?.first { $0.objectValue?["rel"]?.stringValue == "next" }?.objectValue?["href"]?.stringValue
                .map { String($0.dropFirst(s.base.count)) }
        }
        #expect(seen.sorted() == whole.ids && seen.count > 14)

        // A town's token sees the town's part of the answer.
        let town = try #require(tinyDemo.result.towns.first?.code)
        let token = try Tokens.create(in: try s.store(), name: "filter town", role: .viewer, area: town).token
        let r = try await s.call("/collections/grids/items?limit=10000&filter=\(filter)", headers: ["Authorization": "Bearer \(token)"])
        let townIDs = (r.object["features"]?.arrayValue ?? []).compactMap { $0.objectValue?["id"]?.stringValue }.sorted()
        #expect(!townIDs.isEmpty && townIDs == whole.ids.filter { $0.hasPrefix(town) })

        // The same point in EPSG:4326 (latitude first) and in Web Mercator.
        let g = tinyDemo.result.grids[3]
        guard case .point(let p) = try GEOSContext().shape(.polygon(g.polygon)).pointOnSurface().geometry else { return }
        let m = try CoordinateConverter(from: .crs84, to: .epsg(3857)).convert(p)
        for (f, crs) in [("S_INTERSECTS(geometry, POINT(\(p.lon) \(p.lat)))", ""), ("S_INTERSECTS(geometry, POINT(\(p.lat) \(p.lon)))", "&filter-crs=http://www.opengis.net/def/crs/EPSG/0/4326"),
                         ("S_INTERSECTS(geometry, POINT(\(m.lon) \(m.lat)))", "&filter-crs=http://www.opengis.net/def/crs/EPSG/0/3857")] {
            let hit = try await Self.filtered(s, "grids", f, extra: crs)
            #expect(hit.ids == [g.code], "\(f) \(crs): \(hit.ids) \(hit.text.prefix(200))")
        }
        // With bbox: the two together. The shared server takes cases from other tests meanwhile, so
        // the answer lies between the database's before and after.
        let box = BoundingBox(minLon: p.lon - 0.1, minLat: p.lat - 0.1, maxLon: p.lon + 0.1, maxLat: p.lat + 0.1)
        let before = try s.ids("cases", "id", meeting: box, extra: "AND category <> 'debt'")
        let b = try await Self.filtered(s, "cases", "category <> 'debt'", extra: "&bbox=\(box.minLon),\(box.minLat),\(box.maxLon),\(box.maxLat)")
        let after = try s.ids("cases", "id", meeting: box, extra: "AND category <> 'debt'")
        #expect(before.isSubset(of: Set(b.ids)) && Set(b.ids).isSubset(of: after) && !before.isEmpty, "\(b.ids.count) of \(before.count)…\(after.count)")
    }

    /// What a filter must not be: each a 400 problem saying what is wrong, never a 500 or a hang,
    /// never ignored.
    @Test(arguments: StoreKind.allCases) func badFiltersAreClear400s(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let deep = String(repeating: "(", count: 1000) + "households > 1" + String(repeating: ")", count: 1000)
        var json = #"{"op":"=","args":[{"property":"households"},1]}"#
        for _ in 0..<100 { json = #"{"op":"not","args":["# + json + "]}" }
        let big = "households IN (" + (0..<4_000).map(String.init).joined(separator: ",") + ")"   // 23 KB
        let cases: [(collection: String, filter: String, lang: String, extra: String, says: String)] = [
            ("grids", "nope = 1", "cql2-text", "", "unknown property nope"),
            ("cases", "secret_description = 'x'", "cql2-text", "", "unknown property"),
            ("grids", "CASEI(town) = 'x'", "cql2-text", "", "function CASEI is not supported"),
            ("grids", "households >", "cql2-text", "", "expected a property or a value"),
            ("grids", "households > 'many'", "cql2-text", "", "compares households (number) with 'many' (string)"),
            ("grids", "town LIKE 5", "cql2-text", "", "LIKE"),
            ("grids", "S_INTERSECTS(town, POINT(1 2))", "cql2-text", "", "needs geometries"),
            ("grids", "S_INTERSECTS(geometry, POLYGON((0 0, 1 1, 1 0, 0 1, 0 0)))", "cql2-text", "", "not valid"),
            ("grids", "S_INTERSECTS(geometry, POLYGON((0 0, 1 1)))", "cql2-text", "", "closed"),
            ("grids", "T_AFTER(reported_at, TIMESTAMP('2020-01-01T00:00:00Z'))", "cql2-text", "", "not supported"),
            ("grids", "town = 'unterminated", "cql2-text", "", "unterminated"),
            ("grids", deep, "cql2-text", "", "deeper than"),
            ("grids", json, "cql2-json", "", "deeper than"),
            ("grids", big, "cql2-text", "", "longer than"),
            ("grids", "{\"op\":\"=\",\"args\":[", "cql2-json", "", "not JSON"),
            ("grids", #"{"op":"casei","args":[{"property":"town"}]}"#, "cql2-json", "", "not supported"),
            ("grids", "households > 1", "cql2-fancy", "", "filter-lang"),
            ("grids", "S_INTERSECTS(geometry, POINT(1 2))", "cql2-text", "&filter-crs=EPSG:9999", "filter-crs"),
            ("grids", "S_INTERSECTS(geometry, POINT(1e20 2))", "cql2-text", "&filter-crs=http://www.opengis.net/def/crs/EPSG/0/3857", "Web Mercator"),
            ("cases", "reported_at > TIMESTAMP('yesterday')", "cql2-text", "", "RFC 3339"),
        ]
        for c in cases {
            let r = try await s.call("/collections/\(c.collection)/items?filter-lang=\(c.lang)&filter=\(Self.encoded(c.filter))\(c.extra)", role: .dispatcher)
            #expect(r.status == 400 && r.headers["content-type"] == "application/problem+json", "\(c.filter.prefix(80)) → \(r.status) \(r.text.prefix(200))")
            #expect(r.object["detail"]?.stringValue?.contains(c.says) == true, "\(c.filter.prefix(80)): \(r.object["detail"]?.stringValue ?? r.text.prefix(200).description)")
        }
        // 100 KB of filter is longer than any request line the HTTP parser takes: a bare 400
        // from NIO (it answers framing errors before any handler), and the server goes on.
        let huge = "households IN (" + (0..<20_000).map(String.init).joined(separator: ",") + ")"
        #expect(try await s.call("/collections/grids/items?filter=\(Self.encoded(huge))", role: .dispatcher).status == 400)
        // Literals far outside the world are no error, and no arithmetic on them traps (the
        // SpatiaLite cases store turns a filter's box into index cells): nothing there.
        for collection in ["cases", "households", "grids"] {
            let far = try await Self.filtered(s, collection, "S_INTERSECTS(geometry, BBOX(-1e300, -1e300, 1e300, 1e300)) AND S_WITHIN(geometry, POINT(1e300 1e300))")
            #expect(far.status == 200 && far.matched == 0, "\(collection): \(far.status) \(far.text.prefix(200))")
        }
        // And a server that refused them all still answers.
        #expect(try await s.call("/collections/grids/items?limit=1&filter=households%3E1", role: .viewer).status == 200)
    }
}
