import Foundation
import Testing
import Geo
@testable import Cases
@testable import Grid
@testable import Server

/// Two counties in one database (渠县 and a copy beside it, `--counties 2` in small): collections
/// filter by county, figures group by county, tiles cover both, households are read from the
/// database per request. The oracle is the demo's own build: which county made which grid and household.
@Suite struct PrefectureTests {
    /// Built once, on a Dispatch thread: building it (a minute in a debug build) on one of Swift's
    /// cooperative threads, as a lazy `static let` does, stalled every in-process server of the run
    /// (2 cores, 2 cooperative threads) until requests timed out.
    static func demo() async -> [DemoPrefecture.County] { await PrefectureDemo.shared.get() }

    /// A server of its own (for a test that writes what others count).
    static func server(_ kind: StoreKind) async throws -> TestServer {
        let demo = await Self.demo()
        return try await TestServer(kind: kind, demo: (demo.map(\.boundary), DemoCounty.Result.merged(demo.map(\.result))))
    }

    /// The server the read-only tests share, one per backend (each costs a two-county install).
    static func shared(_ kind: StoreKind) async throws -> TestServer { try await PrefectureServers.shared.get(kind) }

    @Test func copiesHaveTheirOwnCodesIdsAndPlace() async throws {
        let demo = await Self.demo()
        let (a, b) = (demo[0], demo[1])
        #expect(a.boundary.code == "511725" && b.boundary.code == "519901")
        #expect(b.result.grids.allSatisfy { $0.code.hasPrefix("519901") } && a.result.grids.allSatisfy { $0.code.hasPrefix("511725") })
        #expect(Set(a.result.households.map(\.id)).isDisjoint(with: b.result.households.map(\.id)))
        #expect(Set(a.result.workers.map(\.id)).isDisjoint(with: b.result.workers.map(\.id)))
        #expect(Set(a.result.cameras.map(\.id)).isDisjoint(with: b.result.cameras.map(\.id)))
        // Side by side, never overlapping (GEOS).
        let (areaA, areaB, hb) = (a.boundary.area, b.boundary.area, b.result.households)
        let (apart, allInB) = try await offPool { () -> (Bool, Bool) in
            let ctx = GEOSContext()
            let sa = try ctx.shape(.multiPolygon(areaA)), sb = try ctx.shape(.multiPolygon(areaB))
            let inB = try sb.prepared()
            return (!sa.intersects(sb), try hb.allSatisfy { try inB.covers(ctx.shape(.point($0.position))) })
        }
        #expect(apart && allInB)
        #expect(throws: PlanError.self) { try DemoPrefecture(first: a.boundary, count: 100).counties() }
        #expect(throws: PlanError.self) { try DemoPrefecture(first: a.boundary, count: 0).counties() }
    }

    @Test(arguments: StoreKind.allCases) func collectionsFiguresAndTilesByCounty(_ kind: StoreKind) async throws {
        let s = try await Self.shared(kind)
        let demo = await Self.demo()
        let codes = demo.map(\.boundary.code)
        for (k, c) in demo.enumerated() {
            let grids = try await s.call("/collections/grids/items?county=\(codes[k])&limit=1000", role: .viewer).object
            #expect(grids["numberMatched"]?.integerValue.map { Int($0) } == c.result.grids.count, "\(kind) \(codes[k])")
            let got = Set(grids["features"]?.arrayValue?.compactMap { $0.objectValue?["id"]?.stringValue } ?? [])
            #expect(got == Set(c.result.grids.map(\.code)))
            let households = try await s.call("/collections/households/items?county=\(codes[k])&limit=3", role: .viewer).object
            #expect(households["numberMatched"]?.integerValue.map { Int($0) } == c.result.households.count, "\(kind) \(codes[k])")
            let cameras = try await s.call("/collections/cameras/items?county=\(codes[k])&limit=1", role: .viewer).object
            #expect(cameras["numberMatched"]?.integerValue.map { Int($0) } == c.result.cameras.count)
            let towns = try await s.call("/collections/boundaries/items?county=\(codes[k])&level=town", role: .viewer).object
            #expect(towns["numberMatched"]?.integerValue.map { Int($0) } == c.result.towns.count)
        }

        // Cases in both counties (the server seeded 30 at households); the oracle is the county
        // whose build made each case's household.
        let second = demo[1].result.households
        for h in second.prefix(7) {
            let r = try await s.call("POST", "/api/cases", role: .dispatcher, json: #"{"category":"land","description":"d","household_id":\#(h.id)}"#)
            #expect(r.status == 201)
        }
        let ownerOf = Dictionary(demo.flatMap { c in c.result.households.map { ($0.id, c.boundary.code) } }, uniquingKeysWith: { a, _ in a })
        let caseRows = try rows("SELECT household_id FROM cases", on: try s.store())
        var expected: [String: Int] = [:]
        for r in caseRows { if let h = r[0].flatMap({ Int64($0) }), let c = ownerOf[h] { expected[c, default: 0] += 1 } }
        #expect(expected[codes[1]] ?? 0 >= 7)
        for code in codes {
            let cases = try await s.call("/collections/cases/items?county=\(code)&limit=1", role: .viewer).object
            #expect(cases["numberMatched"]?.integerValue.map { Int($0) } == expected[code] ?? 0, "\(kind) cases of \(code)")
        }
        let stats = try await s.call("/api/stats?by=county", role: .viewer).object
        let figures = Dictionary((stats["figures"]?.arrayValue ?? []).compactMap { f -> (String, Int)? in
            guard let o = f.objectValue, let k = o["key"]?.stringValue, let n = o["received"]?.integerValue.map({ Int($0) }) else { return nil }
            return (k, n)
        }, uniquingKeysWith: { a, _ in a })
        #expect(figures == expected, "\(kind)")

        // A case of the second county escalated to the county goes to that county's centre.
        let list = try await s.call("/api/cases?limit=1", role: .dispatcher).object
        let newest = try #require(list["cases"]?.arrayValue?.first?.objectValue?["id"]?.integerValue.map { Int($0) })
        let up = try await s.call("POST", "/api/cases/\(newest)/transitions", role: .dispatcher, json: #"{"to":"escalated","target":"county","note":"up"}"#)
        #expect(up.status == 200, "\(up.text)")
        let shown = try await s.call("/api/cases/\(newest)", role: .dispatcher).object
        #expect(shown["assignee"]?.objectValue?["unit"]?.stringValue == "county:\(codes[1])", "\(shown)")

        // One tile at zoom 5 holds both counties' grids; the extent covers both.
        let both = Geometry.multiPolygon(demo.flatMap(\.boundary.area)).boundingBox!
        let extent = try await s.call("/collections/grids", role: .viewer).object["extent"]?.objectValue?["spatial"]?.objectValue?["bbox"]?
            .arrayValue?.first?.arrayValue?.compactMap(\.doubleValue) ?? []
        #expect(extent.count == 4 && extent[0] <= both.minLon + 0.01 && extent[2] >= both.maxLon - 0.01, "\(extent)")
        let tile = WebMercator.tile(containing: Position((both.minLon + both.maxLon) / 2, (both.minLat + both.maxLat) / 2), zoom: 5)
        let ids = try await TilesTests().gdalRead(s, "grids", tile, key: "grid_id")
        // (Grids too small to draw at zoom 5 may be simplified away: both counties are there, nothing else.)
        #expect(Set(ids.keys).isSubset(of: demo.flatMap(\.result.grids).map(\.code)), "\(kind)")
        #expect(Set(ids.values.compactMap { $0["county"]?.stringValue }) == Set(codes), "\(kind): \(ids.count) grids in the z5 tile")
    }

    /// Households are not held by the server: one written to the database behind its back is in
    /// the next answer, by id, by box and in its tile.
    @Test(arguments: StoreKind.allCases) func householdsAreReadFromTheDatabase(_ kind: StoreKind) async throws {
        let s = try await Self.server(kind)
        let demo = await Self.demo()
        defer { s.stop() }
        let h0 = demo[1].result.households[0]
        let new = Household(id: 9_000_001, address: "新门牌 1 号", households: 2, population: 5,
                            position: Position(h0.position.lon + 0.0001, h0.position.lat), gridCode: h0.gridCode)
        try s.store().grids.save(households: [new])
        let one = try await s.call("/collections/households/items/9000001", role: .viewer)
        #expect(one.status == 200)
        #expect(one.object["properties"]?.objectValue?["county"]?.stringValue == "519901")
        let box = BoundingBox(minLon: new.position.lon - 0.002, minLat: new.position.lat - 0.002, maxLon: new.position.lon + 0.002, maxLat: new.position.lat + 0.002)
        let page = try await s.call("/collections/households/items?bbox=\(box.minLon),\(box.minLat),\(box.maxLon),\(box.maxLat)&limit=1000", role: .viewer).object
        let got = Set(page["features"]?.arrayValue?.compactMap { $0.objectValue?["id"]?.integerValue.map { String($0) } ?? $0.objectValue?["id"]?.stringValue } ?? [])
        // The oracle: the demo's own points in the box, and the new one.
        let expected = Set((demo.flatMap(\.result.households) + [new]).filter {
            $0.position.lon >= box.minLon && $0.position.lon <= box.maxLon && $0.position.lat >= box.minLat && $0.position.lat <= box.maxLat
        }.map { String($0.id) })
        #expect(got == expected, "\(kind)")
        #expect(page["numberMatched"]?.integerValue.map { Int($0) } == expected.count)
        let tile = WebMercator.tile(containing: new.position, zoom: 16)
        let inTile = try await TilesTests().gdalRead(s, "households", tile, key: "household_id")
        #expect(inTile["9000001"]?["county"]?.stringValue == "519901", "\(kind)")
        #expect(try await s.call("/collections/households/items/77777777", role: .viewer).status == 404)
        #expect(try await s.call("/collections/households/items/abc", role: .viewer).status == 404)
    }

    /// Camera views end at their own county's edge (GEOS): none reaches into the other county.
    @Test func cameraViewsStayInTheirCounty() async throws {
        let s = try await Self.shared(.spatialite)
        let demo = await Self.demo()
        for c in demo {
            let page = try await s.call("/collections/camera_views/items?county=\(c.boundary.code)&limit=10000", role: .viewer)
            let body = Array(page.body), area = c.boundary.area
            let outside = try await offPool { () -> [String] in
                let doc = try GeoJSONReader().read(body)
                let ctx = GEOSContext()
                let county = try ctx.shape(.multiPolygon(area)).buffer(1e-7).prepared()
                return try doc.features.filter { !county.covers(try ctx.shape($0.geometry!)) }.map { String(describing: $0.id) } + (doc.features.isEmpty ? ["none"] : [])
            }
            #expect(outside.isEmpty, "\(c.boundary.code): \(outside.prefix(5))")
        }
    }

    /// The map page of a prefecture draws every county's grids and all its cameras (more than one
    /// page of the collection), under the prefecture's name.
    @Test func theMapDrawsEveryCounty() async throws {
        let s = try await Self.shared(.spatialite)
        let demo = await Self.demo()
        let b = try await Browser()
        do {
            try await b.signIn(s.base, token: s.tokens[.viewer]!)
            _ = try await b.wait(for: "return document.body.dataset.ready === 'true'", seconds: 300, "the map ready")
            let cameras = demo.reduce(0) { $0 + $1.result.cameras.count }
            #expect(cameras > 10_000)
            #expect(try await b.run("return wangge.cameraCount").integerValue == Int64(cameras))
            let grids = demo.reduce(0) { $0 + $1.result.grids.count }
            #expect(try await b.run("return document.querySelectorAll('path.wg-grid').length").integerValue == Int64(grids))
            #expect(try await b.run("return document.body.textContent").stringValue?.contains("渠县等2县") == true)
            _ = try MapPageTests.keep(try await b.screenshot(), "prefecture.png")
            await b.close()
        } catch {
            await b.close()
            throw error
        }
    }
}

/// The two-county build, made once on a Dispatch thread and awaited without holding a thread.
actor PrefectureDemo {
    static let shared = PrefectureDemo()
    private var task: Task<[DemoPrefecture.County], Never>?

    func get() async -> [DemoPrefecture.County] {
        if let task { return await task.value }
        let t = Task {
            await withCheckedContinuation { c in
                DispatchQueue.global().async {
                    let county = try! BoundaryImporter(crs: .gcj02).boundaries(from: try! quCountyBytes())[0]
                    var p = DemoPrefecture(first: county, count: 2, seed: 5, scale: 0.05)
                    p.townCount = 3
                    c.resume(returning: try! p.build())
                }
            }
        }
        task = t
        return await t.value
    }
}

/// The read-only tests' prefecture servers, started once per backend.
actor PrefectureServers {
    static let shared = PrefectureServers()
    private var servers: [StoreKind: Task<TestServer, Error>] = [:]
    func get(_ kind: StoreKind) async throws -> TestServer {
        if let t = servers[kind] { return try await t.value }
        let t = Task { try await PrefectureTests.server(kind) }
        servers[kind] = t
        return try await t.value
    }
}
