import Foundation
import Testing
import Geo
@testable import Cases
@testable import Grid
@testable import Server

/// Tokens limited to an area (`token create --area`): a town's and a village's desks, a town's
/// leaders' screen and a town's planner, on one server, route by route. The oracle is SQL on the
/// database (codes by prefix, cases by the unit that has them), not the server's own filters.
@Suite struct AreaTests {
    /// The town with the most seeded disputes, one of its villages with cases, and tokens for them.
    struct Desks {
        let s: TestServer
        let town: String, village: String
        let outsideGrid: String, insideGrid: String
        var tokens: [String: String] = [:]

        init(_ s: TestServer) async throws {
            self.s = s
            let c = try s.store()
            let towns = try rows("SELECT substr(grid_id, 1, 9) t, count(*) n FROM cases WHERE grid_id IS NOT NULL GROUP BY t ORDER BY n DESC, t", on: c)
            town = try #require(towns.first?[0] ?? nil)
            village = try #require(try scalar("SELECT substr(grid_id, 1, 12) v FROM cases WHERE grid_id LIKE '\(town)%' GROUP BY v ORDER BY count(*) DESC, v LIMIT 1", on: c))
            insideGrid = try #require(try scalar("SELECT grid_id FROM grids WHERE grid_id LIKE '\(village)%' ORDER BY grid_id LIMIT 1", on: c))
            outsideGrid = try #require(try scalar("SELECT grid_id FROM grids WHERE grid_id NOT LIKE '\(town)%' ORDER BY grid_id LIMIT 1", on: c))
            for (name, role, area) in [("town-dispatcher", Role.dispatcher, town), ("town-viewer", .viewer, town), ("town-planner", .planner, town),
                                       ("village-dispatcher", .dispatcher, village), ("county-viewer", .viewer, String(town.prefix(6)))] {
                tokens[name] = try Tokens.create(in: c, name: name, role: role, area: area).token
            }
        }

        func call(_ who: String, _ method: String, _ path: String, json: String? = nil) async throws -> TestServer.Reply {
            try await s.call(method, path, json: json, headers: ["Authorization": "Bearer \(tokens[who]!)"])
        }
        func get(_ who: String, _ path: String) async throws -> TestServer.Reply { try await call(who, "GET", path) }

        /// Cases the units of `area` have, by SQL over the unit column.
        func casesIn(_ area: String) throws -> Set<Int64> {
            Set(try rows("SELECT id FROM cases WHERE unit LIKE 'grid:\(area)%' OR unit LIKE 'village:\(area)%' OR unit LIKE 'town:\(area)%'", on: try s.store())
                .compactMap { $0[0].flatMap { Int64($0) } })
        }
    }

    @Test(arguments: StoreKind.allCases) func everyRouteStaysInTheTokensArea(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let d = try await Desks(s)
        let db = try s.store()

        // Items of every collection: only what is in the town, and all of it.
        for (collection, key, table, column) in [("grids", "grid_id", "grids", "grid_id"), ("boundaries", "code", "boundaries", "code"),
                                                  ("households", "grid_id", "households", "grid_id"), ("cameras", "grid_id", "cameras", "grid_id")] {
            let r = try await d.get("town-viewer", "/collections/\(collection)/items?limit=10000")
            #expect(r.status == 200, "\(collection): \(r.text.prefix(200))")
            let codes = (r.object["features"]?.arrayValue ?? []).compactMap { $0.objectValue?["properties"]?.objectValue?[key]?.stringValue }
            let want = Int(try scalar("SELECT count(*) FROM \(table) WHERE \(column) LIKE '\(d.town)%'", on: db) ?? "") ?? -1
            #expect(want > 0 && codes.count == want && r.object["numberMatched"]?.integerValue == Int64(want), "\(collection): \(codes.count) of \(want)")
            #expect(codes.allSatisfy { $0.hasPrefix(d.town) }, "\(collection) leaks another town")
        }
        let townCases = try d.casesIn(d.town)
        #expect(!townCases.isEmpty)
        let items = try await d.get("town-viewer", "/collections/cases/items?limit=10000")
        let itemIDs = Set((items.object["features"]?.arrayValue ?? []).compactMap { $0.objectValue?["id"]?.integerValue })
        #expect(itemIDs == townCases && items.object["numberMatched"]?.integerValue == Int64(townCases.count))
        // Page by page, a page of one: the store walks the cases in id order instead of the unit index
        // when the area holds enough of them (SpatiaLite); either way the same cases, in id order.
        var paged: [Int64] = []
        for offset in 0..<townCases.count {
            let one = try await d.get("town-viewer", "/collections/cases/items?limit=1&offset=\(offset)")
            paged += (one.object["features"]?.arrayValue ?? []).compactMap { $0.objectValue?["id"]?.integerValue }
        }
        #expect(paged == townCases.sorted())

        // One feature: inside 200, outside 404 (as if it were not there).
        let outsideCase = try #require(try rows("SELECT id FROM cases ORDER BY id", on: db).compactMap { $0[0].flatMap { Int64($0) } }.first { !townCases.contains($0) })
        let outsideHousehold = try #require(try scalar("SELECT id FROM households WHERE grid_id NOT LIKE '\(d.town)%' ORDER BY id LIMIT 1", on: db))
        let insideHousehold = try #require(try scalar("SELECT id FROM households WHERE grid_id LIKE '\(d.village)%' ORDER BY id LIMIT 1", on: db))
        for (path, status) in [("/collections/grids/items/\(d.insideGrid)", 200), ("/collections/grids/items/\(d.outsideGrid)", 404),
                               ("/collections/households/items/\(insideHousehold)", 200), ("/collections/households/items/\(outsideHousehold)", 404),
                               ("/collections/cases/items/\(townCases.min()!)", 200), ("/collections/cases/items/\(outsideCase)", 404),
                               ("/api/cases/\(townCases.min()!)", 200), ("/api/cases/\(outsideCase)", 404),
                               ("/api/grids/\(d.insideGrid)/duty", 200), ("/api/grids/\(d.outsideGrid)/duty", 404)] {
            let r = try await d.get("town-viewer", path)
            #expect(r.status == status, "\(path): \(r.status) \(r.text.prefix(200))")
        }

        // Tiles: one zoom-8 tile holds the whole tiny county; a scoped token's tile has only its town.
        let seat = try #require(try rows("SELECT ST_X(geom), ST_Y(geom) FROM households WHERE grid_id LIKE '\(d.town)%' LIMIT 1", on: db).first)
        let p = Position(Double(seat[0] ?? "") ?? 0, Double(seat[1] ?? "") ?? 0)
        // Households start at zoom 12: a tile on the town's edge, with households of both sides.
        let households = tinyDemo.result.households
        let insideTiles = Set(households.filter { $0.gridCode?.hasPrefix(d.town) == true }.map { WebMercator.tile(containing: $0.position, zoom: 12) })
        let outsideTiles = households.filter { $0.gridCode?.hasPrefix(d.town) == false }.map { WebMercator.tile(containing: $0.position, zoom: 12) }
        let edge = try #require(outsideTiles.first(where: insideTiles.contains))
        for layer in ["grids", "cases", "households", "cameras"] {
            let t = layer == "households" ? edge : WebMercator.tile(containing: p, zoom: 8)
            let path = "/tiles/\(layer)/\(t.z)/\(t.x)/\(t.y).mvt"
            let all = try await s.call(path, role: .viewer), mine = try await d.get("town-viewer", path)
            #expect(all.status == 200 && mine.status == 200, "\(layer): \(all.status) \(mine.status)")
            #expect(mine.body.count < all.body.count, "\(layer): the town's tile is not smaller than the county's")
            #expect(mine.body.range(of: Data(d.outsideGrid.utf8)) == nil && mine.body.range(of: Data(d.town.utf8)) != nil, "\(layer)")
            // Cached apart: neither answer is served for the other.
            let (allAgain, mineAgain) = (try await s.call(path, role: .viewer), try await d.get("town-viewer", path))
            #expect(allAgain.body == all.body && mineAgain.body == mine.body, "\(layer)")
        }

        // /api/cases, statistics, the live feed's replay.
        let list = try await d.get("town-dispatcher", "/api/cases?limit=1000")
        let listed = Set((list.object["cases"]?.arrayValue ?? []).compactMap { $0.objectValue?["id"]?.integerValue })
        #expect(listed == townCases && list.object["number_matched"]?.integerValue == Int64(townCases.count))
        let stats = try await d.get("town-viewer", "/api/stats?by=town")
        let groups = (stats.object["figures"]?.arrayValue ?? []).compactMap(\.objectValue)
        #expect(groups.map { $0["key"]?.stringValue ?? "" } == [d.town], "\(stats.text.prefix(300))")
        #expect(groups.first?["received"]?.integerValue == Int64(townCases.count))
        let feed = try EventStream(s, lastEventID: "0", token: d.tokens["town-viewer"])
        defer { feed.stop() }
        let lastEvent = try #require(try scalar("SELECT max(e.id) FROM case_events e WHERE e.case_id IN (\(townCases.map(String.init).joined(separator: ",")))", on: db))
        let frames = try await feed.until { $0.contains("id: \(lastEvent)\n") }
        let fed = Set(frames.components(separatedBy: "\"case_id\":").dropFirst().compactMap { Int64($0.prefix { $0.isNumber }) })
        #expect(fed == townCases, "the feed carried \(fed.subtracting(townCases).count) cases outside the town")

        // Who takes a case here: inside answered, outside refused.
        let inside = try #require(try rows("SELECT ST_X(geom), ST_Y(geom) FROM households WHERE id = \(insideHousehold)", on: db).first)
        let outside = try #require(try rows("SELECT ST_X(geom), ST_Y(geom) FROM households WHERE id = \(outsideHousehold)", on: db).first)
        #expect(try await d.get("town-viewer", "/api/assign?lon=\(inside[0]!)&lat=\(inside[1]!)").status == 200)
        #expect(try await d.get("town-viewer", "/api/assign?lon=\(outside[0]!)&lat=\(outside[1]!)").status == 403)

        // Writes outside the area are 403 problems and write nothing; inside they work.
        let before = try s.count("cases")
        let out = try await d.call("town-dispatcher", "POST", "/api/cases", json: #"{"category":"debt","description":"elsewhere","household_id":\#(outsideHousehold)}"#)
        #expect(out.status == 403 && out.headers["content-type"] == "application/problem+json" && out.text.contains("outside your area"), "\(out.text)")
        #expect(try await d.call("town-dispatcher", "POST", "/api/cases/\(outsideCase)/transitions", json: #"{"to":"escalated","note":"x"}"#).status == 403)
        let outsideCamera = try #require(try scalar("SELECT id FROM cameras WHERE view_grid_id IS NOT NULL AND view_grid_id NOT LIKE '\(d.town)%' AND grid_id NOT LIKE '\(d.town)%' ORDER BY id LIMIT 1", on: db))
        let alert = try await d.call("town-dispatcher", "POST", "/api/alerts", json: #"{"camera_id":"\#(outsideCamera)","type":"fight"}"#)
        #expect(alert.status == 403, "\(alert.text)")
        #expect(try s.count("cases") == before)
        let made = try await d.call("village-dispatcher", "POST", "/api/cases", json: #"{"category":"neighbour","description":"here","household_id":\#(insideHousehold)}"#)
        #expect(made.status == 201, "\(made.text)")
        let id = try #require(made.object["id"]?.integerValue)

        // Escalated from the village to its town: it leaves the village desk's view and is the town's.
        #expect(try await d.get("village-dispatcher", "/api/cases/\(id)").status == 200)
        let up = try await d.call("village-dispatcher", "POST", "/api/cases/\(id)/transitions", json: #"{"to":"escalated","target":"town","note":"needs the town"}"#)
        #expect(up.status == 200 && up.object["assignee"]?.objectValue?["unit"]?.stringValue == "town:\(d.town)", "\(up.text)")
        #expect(try await d.get("village-dispatcher", "/api/cases/\(id)").status == 404)
        let villageList = try await d.get("village-dispatcher", "/api/cases?limit=1000")
        #expect(!(villageList.object["cases"]?.arrayValue ?? []).contains { $0.objectValue?["id"]?.integerValue == id })
        #expect(try await d.call("village-dispatcher", "POST", "/api/cases/\(id)/transitions", json: #"{"to":"mediating"}"#).status == 403)
        #expect(try await d.get("town-dispatcher", "/api/cases/\(id)").status == 200)
        #expect(try await d.call("town-dispatcher", "POST", "/api/cases/\(id)/transitions", json: #"{"to":"mediating","note":"the town takes it"}"#).status == 200)

        // A town planner: edits and publishes only inside the town; no rollback of the whole layer.
        let plan = try await s.call("POST", "/api/plans", role: .planner, json: #"{"name":"area test"}"#)
        let planID = try #require(plan.object["id"]?.integerValue, "\(plan.text)")
        let outsideOverride = try await d.call("town-planner", "POST", "/api/plans/\(planID)/operations", json: #"{"op":"override","grid_id":"\#(d.outsideGrid)","households":400}"#)
        #expect(outsideOverride.status == 403, "\(outsideOverride.text)")
        let insideOverride = try await d.call("town-planner", "POST", "/api/plans/\(planID)/operations", json: #"{"op":"override","grid_id":"\#(d.insideGrid)","households":400}"#)
        #expect(insideOverride.status == 200, "\(insideOverride.text)")
        #expect(try await s.call("POST", "/api/plans/\(planID)/operations", role: .planner, json: #"{"op":"override","grid_id":"\#(d.outsideGrid)","households":400}"#).status == 200)
        let publish = try await d.call("town-planner", "POST", "/api/plans/\(planID)/publish", json: "{}")
        #expect(publish.status == 403 && publish.text.contains(d.outsideGrid), "\(publish.text)")
        #expect(try await d.call("town-planner", "POST", "/api/grids/rollback", json: #"{"version":1}"#).status == 403)
        #expect(try await s.call("/healthz").object["layer_version"]?.integerValue == 1)

        // The county's token: every case of this one-county database, arbitration and court included.
        try execute("UPDATE cases SET unit = 'court', level = 'court' WHERE id = (SELECT min(id) FROM cases WHERE grid_id IS NOT NULL)", on: db)
        let county = try await d.get("county-viewer", "/collections/cases/items?limit=1")
        #expect(county.object["numberMatched"]?.integerValue == Int64(try s.count("cases")), "\(county.text.prefix(200))")
        #expect(try await d.get("town-viewer", "/collections/cases/items?limit=10000").object["numberMatched"]?.integerValue
                == Int64(try d.casesIn(d.town).count))
    }

    /// `token create --area` takes only a county, town or village of the database, and says why not.
    @Test func theCLIRefusesAnAreaThatIsNotThere() async throws {
        let dir = TempDir()
        let db = dir.path("a.sqlite")
        let town = try #require(tinyDemo.result.grids.first.map { String($0.code.prefix(9)) })
        let made = try newDatabase(db)
        _ = try GridPlanning(store: made.grids).install(tinyDemo.result, counties: [tinyDemo.county], note: "t")
        for (area, message) in [("12", "not a county, town or village code"), ("999999999", "no such county, town or village")] {
            let r = try await run(wanggePath, ["token", "create", "--db", db, "--role", "viewer", "--name", "x", "--area", area])
            #expect(r.status != 0 && r.err.contains(message) && r.err.contains(area), "\(r.err)")
        }
        #expect(try connect(db).tokens.list().isEmpty)
        let ok = try await run(wanggePath, ["token", "create", "--db", db, "--role", "dispatcher", "--name", "town desk", "--area", town])
        #expect(ok.status == 0 && ok.out.contains("area \(town)"), "\(ok.err)")
        let listed = try await run(wanggePath, ["token", "list", "--db", db])
        #expect(listed.out.contains("area \(town)"))
    }
}
