import Foundation
import Testing
import Geo
import Grid
import TestSupport
@testable import Cases
@testable import Server

/// Micro-grids (微网格) as their users meet them, on both backends: the collection and tiles (read
/// by GDAL), a case's micro-grid and first responder (shapely says which micro-grid holds the
/// place), `wangge import microgrids` with its refusals, and a plan that moves a grid boundary:
/// validation names the micro-grids it now crosses (as shapely does), publishing derives them anew.
@Suite struct MicroGridServerTests {
    static func features(_ s: TestServer, _ query: String = "") async throws -> [JSONValue] {
        let r = try await s.call("/collections/microgrids/items?limit=10000\(query)", role: .viewer)
        #expect(r.status == 200, "\(r.text)")
        return r.object["features"]?.arrayValue ?? []
    }

    static func write(_ json: JSONValue, to path: String) throws {
        var w = JSONWriter()
        w.value(json)
        try Data(w.bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test(arguments: StoreKind.allCases) func casesGetTheirMicroGridAndItsLeader(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let stored = try connect(s.db).grids.microgrids()
        #expect(stored.count > 100)
        let items = try await Self.features(s)
        #expect(items.count == stored.count)
        // Viewers see that a micro-grid has a leader, never who (names, phones).
        let leaders = try connect(s.db).grids.workers().filter { $0.role == .microgridLeader }
        #expect(leaders.count == stored.count)
        let page = try await s.call("/collections/microgrids/items?limit=10000", role: .viewer).text
        #expect(!leaders.prefix(50).contains { page.contains($0.name) || page.contains($0.phone) })

        // A place in a micro-grid: the oracle is shapely over the collection's polygons.
        let m = stored[stored.count / 2]
        let ctx = GEOSContext()
        guard case .point(let p) = try ctx.shape(.polygon(m.polygon)).pointOnSurface().geometry else { throw Browser.Failure(description: "no point") }
        try Self.write(.object(JSONObject([("type", "FeatureCollection"), ("features", .array(items))])), to: s.dir.path("m.json"))
        let script = """
            import json, sys
            from shapely.geometry import shape, Point
            fc = json.load(open(sys.argv[1])); p = Point(float(sys.argv[2]), float(sys.argv[3]))
            print(json.dumps([f["id"] for f in fc["features"] if shape(f["geometry"]).covers(p)]))
            """
        let r = try await run(ReportTests.python, ["-c", script, s.dir.path("m.json"), String(p.lon), String(p.lat)])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.trimmingCharacters(in: .whitespacesAndNewlines) == "[\"\(m.code)\"]")
        let made = try await s.call("POST", "/api/cases", role: .dispatcher, json: """
            {"category": "neighbour", "description": "楼道堆物", "location": {"type": "Point", "coordinates": [\(p.lon), \(p.lat)]}}
            """)
        #expect(made.status == 201, "\(made.text)")
        #expect(made.object["microgrid_id"]?.stringValue == m.code)
        #expect(made.object["grid_id"]?.stringValue == m.gridCode)
        let first = made.object["first_responder"]?.objectValue
        #expect(first?["worker_id"]?.integerValue == m.leaderID && first?["role"]?.stringValue == "microgrid_leader")
        #expect(first?["phone"] == nil)
        // The assignee stays the grid's worker (or the town when no one is on duty), never the leader.
        #expect(made.object["assignee"]?.objectValue?["worker_id"]?.integerValue != m.leaderID)
        let id = try #require(made.object["id"]?.integerValue)
        #expect(try await s.call("/api/cases/\(id)", role: .dispatcher).object["microgrid_id"]?.stringValue == m.code)

        // The tile at the place holds the micro-grid (GDAL reads it).
        let tile = WebMercator.tile(containing: p, zoom: 16)
        let inTile = try await TilesTests().gdalRead(s, "microgrids", tile, key: "microgrid_id")
        #expect(inTile[m.code]?["grid_id"]?.stringValue == m.gridCode)
    }

    @Test(arguments: StoreKind.allCases) func importReplacesAGridsMicroGridsOrRefusesTheFile(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let store = try connect(s.db).grids
        let before = try store.microgrids()
        let grid = try #require(Dictionary(grouping: before, by: \.gridCode).filter { $0.value.count >= 3 }.keys.sorted().first)
        let mine = before.filter { $0.gridCode == grid }
        func feature(_ id: String, _ p: Polygon, leader: String? = nil) -> Feature {
            var props: [(String, JSONValue)] = [("microgrid_id", .string(id)), ("name", .string("导入 \(id.suffix(3))"))]
            if let leader { props += [("leader_name", .string(leader)), ("leader_phone", .string("13800001111"))] }
            return Feature(geometry: .polygon(p), properties: JSONObject(props))
        }
        func file(_ name: String, _ fs: [Feature]) throws -> String {
            let path = s.dir.path(name)
            try Data(GeoJSONWriter(precision: nil).string(.featureCollection(FeatureCollection(fs))).utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
        // Refused whole: an id of no grid, a bow-tie; then two micro-grids on the same ground.
        let box = Geometry.polygon(mine[2].polygon).boundingBox!
        let bowtie = Polygon([[.init(box.minLon, box.minLat), .init(box.maxLon, box.maxLat), .init(box.maxLon, box.minLat),
                               .init(box.minLon, box.maxLat), .init(box.minLon, box.minLat)]])
        let bad = try file("bad.json", [feature(mine[0].code, mine[0].polygon), feature("511725999999999001", mine[1].polygon), feature(mine[2].code, bowtie)])
        var r = try await run(wanggePath, ["import", "microgrids", "--db", s.db, bad])
        #expect(r.status != 0)
        #expect(r.err.contains("features[1] (microgrid_id 511725999999999001): no grid 511725999999999"), "\(r.err)")
        #expect(r.err.contains("features[2] (microgrid_id \(mine[2].code)): invalid polygon"), "\(r.err)")
        let overlap = try file("overlap.json", [feature(mine[0].code, mine[0].polygon), feature(mine[1].code, mine[0].polygon)])
        r = try await run(wanggePath, ["import", "microgrids", "--db", s.db, overlap])
        #expect(r.status != 0)
        #expect(r.err.contains("microgrid_overlap"), "\(r.err)")
        #expect(try store.microgrids() == before)

        // Accepted: the grid's micro-grids but the last (a gap, listed), the first with a new leader's name.
        let keep = mine.dropLast()
        let good = try file("good.json", keep.enumerated().map { k, m in feature(m.code, m.polygon, leader: k == 0 ? "赵新" : nil) })
        r = try await run(wanggePath, ["import", "microgrids", "--db", s.db, good])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("imported \(keep.count) micro-grids of 1 grids"), "\(r.out)")
        #expect(r.out.contains("microgrid_gap"), "\(r.out)")
        let after = try store.microgrids()
        #expect(after.filter { $0.gridCode == grid }.map(\.code) == keep.map(\.code))
        #expect(after.filter { $0.gridCode != grid } == before.filter { $0.gridCode != grid })
        let lead = try #require(after.first { $0.code == keep[0].code }?.leaderID)
        #expect(lead == mine[0].leaderID, "a re-imported micro-grid keeps its leader's id")
        #expect(try store.worker(id: lead)?.name == "赵新")
        // The running server sees the import (the change feed), without a restart.
        var served = 0
        for _ in 0..<50 {
            served = try await Self.features(s, "&grid_id=\(grid)").count
            if served == keep.count { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(served == keep.count)
        let v = try await s.call("/api/grids/validation", role: .planner).object["features"]?.arrayValue ?? []
        #expect(v.contains { $0.objectValue?["properties"]?.objectValue?["problem"]?.stringValue == "microgrid_gap" })
    }

    @Test(arguments: StoreKind.allCases) func aPlanNamesTheMicroGridsItCrossesAndPublishingDerivesThem(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let store = try connect(s.db).grids
        let grids = try store.grids(), boundaries = try store.boundaries()
        let ctx = GEOSContext()
        // A vertex two grids of one village share, away from the village's edge; moved 12 m into one of them.
        var pick: (Position, Position)?
        let villages = Dictionary(boundaries.filter { $0.level == .village }.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        search: for a in grids where (330...470).contains(a.households) {
            guard let v = a.villageCode.flatMap({ villages[$0] }) else { continue }
            let edge = try ctx.shape(.multiPolygon(v.area)).boundary()
            for b in grids where b.code > a.code && b.villageCode == a.villageCode && (330...470).contains(b.households) {
                for p in Set(a.polygon.exterior).intersection(b.polygon.exterior) where edge.distance(to: try ctx.shape(.point(p))) > 0.001 {
                    guard case .point(let c) = try ctx.shape(.polygon(a.polygon)).pointOnSurface().geometry else { continue }
                    let d = hypot(c.lon - p.lon, c.lat - p.lat)
                    pick = (p, Position(p.lon + (c.lon - p.lon) / d * 0.00012, p.lat + (c.lat - p.lat) / d * 0.00012))
                    break search
                }
            }
        }
        let (from, to) = try #require(pick)
        let made = try await s.call("POST", "/api/plans", role: .planner, json: #"{"name": "微网格"}"#)
        guard case .integer(let plan)? = made.object["id"] else { throw Browser.Failure(description: made.text) }
        let moved = try await s.call("POST", "/api/plans/\(plan)/operations", role: .planner, json: """
            {"op": "move_vertex", "from": {"type": "Point", "coordinates": [\(from.lon), \(from.lat)]}, "to": {"type": "Point", "coordinates": [\(to.lon), \(to.lat)]}}
            """)
        #expect(moved.status == 200, "\(moved.text)")
        let planGrids = try store.planGrids(id: plan)
        let current = try store.microgrids()
        let problems = try await s.call("/api/plans/\(plan)/validation", role: .planner).object["features"]?.arrayValue ?? []
        let kinds = problems.compactMap { $0.objectValue?["properties"]?.objectValue }
        let ours = Set(kinds.filter { $0["problem"]?.stringValue == "microgrid_crosses_grid" }.flatMap { $0["grid_ids"]?.arrayValue?.compactMap(\.stringValue) ?? [] })
        let oracle = try microgridOracle(planGrids, current)
        #expect(!ours.isEmpty)
        #expect(ours == Set(oracle.filter { $0[0] == "microgrid_crosses_grid" }.map { $0[1] }))
        #expect(kinds.allSatisfy { ($0["problem"]?.stringValue ?? "").hasPrefix("microgrid_") }, "\(kinds)")
        // The edit's own answer lists the same problems as the validation.
        #expect(moved.object["problems"]?.objectValue?["features"]?.arrayValue?.count == problems.count)

        let published = try await s.call("POST", "/api/plans/\(plan)/publish", role: .planner, json: "{}")
        #expect(published.status == 200, "\(published.text)")
        let live = try store.grids(), derived = try store.microgrids()
        #expect(try microgridOracle(live, derived).isEmpty)
        let left = try await s.call("/api/grids/validation", role: .planner).object["features"]?.arrayValue ?? []
        #expect(left.isEmpty, "\(left)")
        // Micro-grids of grids the plan did not touch are as they were.
        let touched = Set(live.filter { g in grids.first { $0.code == g.code }?.polygon != g.polygon }.map(\.code))
        #expect(touched.count >= 2)   // the two grids, and any whose edge ran through the vertex
        #expect(derived.filter { !touched.contains($0.gridCode) } == current.filter { !touched.contains($0.gridCode) })
        // The server serves the derived ones.
        var served = 0
        for _ in 0..<50 {
            served = try await Self.features(s).count
            if served == derived.count { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(served == derived.count)
    }
}
