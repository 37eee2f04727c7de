import Foundation
import Testing
import Geo
@testable import Cases
@testable import Grid
@testable import Server

/// One change feed: what another process commits (the CLI on the same file) reaches a running
/// server's locator, items, tiles and SSE feed, and a busy database is a 503 to try again.
@Suite struct ChangeFeedTests {
    /// Calls `probe` until it holds or `seconds` pass; returns how long it took (nil: never held).
    /// The bound is generous (a debug build, every suite at once, a shared 2-core machine: a CLI
    /// publish once took 20 s to be served in such a run): the test is about the change arriving;
    /// how fast it arrives is printed, and measured in release.
    func within(_ seconds: Double = 120, _ probe: () async throws -> Bool) async throws -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            if try await probe() { return Date().timeIntervalSince(start) }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    @Test(arguments: StoreKind.allCases) func aCLIImportAndRollbackReachTheRunningServer(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        // An open case and its grid; the new layer merges that grid into a neighbour.
        let open = try #require(try connect(s.db).cases.list(status: .assigned, limit: 1000).first { $0.gridCode != nil })
        let old = open.gridCode!
        let at = "lon=\(open.position.lon)&lat=\(open.position.lat)"
        func gridAt() async throws -> String? { try await s.call("/api/assign?\(at)", role: .viewer).object["grid_id"]?.stringValue }
        #expect(try await gridAt() == old)
        let tile = WebMercator.tile(containing: open.position, zoom: 14)
        let tilePath = "/tiles/grids/\(tile.z)/\(tile.x)/\(tile.y).mvt"
        func tileHas(_ code: String) async throws -> Bool {
            let r = try await s.call(tilePath, role: .viewer)
            return r.status == 200 && r.body.range(of: Data(code.utf8)) != nil
        }
        #expect(try await tileHas(old))

        let stream = try EventStream(s)
        defer { stream.stop() }
        try await Task.sleep(for: .milliseconds(300))

        // The CLI, another process: a plan merging the grid into a neighbour of its village, published.
        let new = try await mergeFromTheCLI(s, old)

        // The locator, the items, the tiles and the layer version follow.
        let served = try await within() { try await gridAt() == new }
        #expect(served != nil, "/api/assign still answers the old grid")
        print("ChangeFeedTests: a CLI publish was served by /api/assign after \(served.map { String(format: "%.2f", $0) } ?? "–") s")
        #expect(try await within() { try await s.call("/collections/grids/items/\(old)", role: .viewer).status == 404 } != nil)
        #expect(try await s.call("/collections/grids/items/\(new)", role: .viewer).status == 200)
        #expect(try await within() { try await !tileHas(old) } != nil)
        #expect(try await s.call("/healthz").object["layer_version"]?.integerValue == 2)
        // A new case there is placed in the new grid; the moved one has its event.
        let placed = try await s.call("POST", "/api/cases", role: .dispatcher, json: """
            {"category":"neighbour","description":"after the import","location":{"type":"Point","coordinates":[\(open.position.lon),\(open.position.lat)]}}
            """)
        #expect(placed.status == 201 && placed.object["grid_id"]?.stringValue == new, "\(placed.text)")
        let timeline = try await s.call("/api/cases/\(open.id)", role: .dispatcher).object["events"]?.arrayValue ?? []
        let moved = timeline.compactMap(\.objectValue).filter { $0["action"]?.stringValue == "moved" }
        #expect(moved.count == 1 && moved.first?["note"]?.stringValue == "grid \(old) → \(new) (layer version 2)")

        // The live feed carried the layer and the move.
        let sse = try await stream.until { $0.contains("event: layer") && $0.contains("\"action\":\"moved\"") }
        #expect(sse.contains("event: layer\ndata: {\"layer_version\":2}"), "\(sse.suffix(500))")
        let movedFrames = sse.components(separatedBy: "\n\n").filter { $0.contains("\"action\":\"moved\"") }
        #expect(movedFrames.contains { $0.contains("\"case_id\":\(open.id),") && $0.contains("\"grid_id\":\"\(new)\"") })

        // A rollback from the CLI: the old grid is back, and the case moves back.
        let back = try await run(wanggePath, ["grids", "rollback", "--db", s.db, "--to", "1"])
        #expect(back.status == 0, "\(back.err)")
        let restored = try await within() { try await gridAt() == old }
        #expect(restored != nil)
        print("ChangeFeedTests: a CLI rollback was served after \(restored.map { String(format: "%.2f", $0) } ?? "–") s")
        #expect(try await within() { try await tileHas(old) } != nil)
        let after = try await s.call("/api/cases/\(open.id)", role: .dispatcher).object
        #expect(after["grid_id"]?.stringValue == old)
        #expect((after["events"]?.arrayValue ?? []).filter { $0.objectValue?["action"]?.stringValue == "moved" }.count == 2)
    }

    /// Another writer holds the database past the busy timeout: intake is a 503 with Retry-After
    /// and no database text; reads go on; once the lock goes, intake works again.
    @Test(arguments: StoreKind.allCases) func aLockedDatabaseIs503WithRetryAfter(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        // SQLite: a writer's lock on the file. PostgreSQL: a session holding the table of tracking
        // codes (every intake writes it) past the lock timeout.
        let lock = try s.store()
        try execute(kind == .spatialite ? "BEGIN IMMEDIATE" : "BEGIN; LOCK TABLE case_codes IN ACCESS EXCLUSIVE MODE", on: lock)
        let body = #"{"category":"debt","description":"while locked","location":{"type":"Point","coordinates":[106.97,30.84]}}"#
        let r = try await s.call("POST", "/api/cases", role: .dispatcher, json: body)
        #expect(r.status == 503 && r.headers["retry-after"] == "2", "\(r.status) \(r.text)")
        #expect(r.headers["content-type"] == "application/problem+json")
        #expect(!r.text.lowercased().contains("sqlite") && !r.text.contains("locked") && !r.text.contains("case_codes"), "\(r.text)")
        #expect(try await s.call("/collections/cases/items?limit=1", role: .viewer).status == 200)
        try execute("ROLLBACK", on: lock)
        #expect(try await s.call("POST", "/api/cases", role: .dispatcher, json: body).status == 201)
    }

    /// A token revoked from the CLI stops working on the running server (within a second in release).
    @Test(arguments: StoreKind.allCases) func aRevocationFromTheCLIReachesTheServer(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let made = try await run(wanggePath, ["token", "create", "--db", s.db, "--role", "viewer", "--name", "to revoke"])
        let token = String(made.out.split(separator: "\n").last ?? "")
        let id = try #require(made.out.split(separator: " ").dropFirst().first.flatMap { Int($0) })
        func status() async throws -> Int { try await s.call("/api/stats", headers: ["Authorization": "Bearer \(token)"]).status }
        #expect(try await status() == 200)   // and now cached
        #expect(try await run(wanggePath, ["token", "revoke", "--db", s.db, String(id)]).status == 0)
        let refused = try await within() { try await status() == 401 }
        #expect(refused != nil)
        print("ChangeFeedTests: a CLI revocation was refused after \(refused.map { String(format: "%.2f", $0) } ?? "–") s")
    }

    /// Two servers on one PostGIS database: a case posted to one is in the other's SSE feed, items
    /// and tiles; a publish from the CLI is served by both (LISTEN/NOTIFY, within a second in release).
    @Test func serversOnOneDatabaseSeeEachOthersChanges() async throws {
        let a = try await TestServer(kind: .postgis)
        defer { a.stop() }
        let b = try await TestServer(joining: a)
        defer { b.stop() }
        let p = Position(106.97, 30.84)
        let tile = WebMercator.tile(containing: p, zoom: 16)
        let tilePath = "/tiles/cases/\(tile.z)/\(tile.x)/\(tile.y).mvt"
        let before = try await b.call(tilePath, role: .viewer)
        let stream = try EventStream(b)
        defer { stream.stop() }
        try await Task.sleep(for: .milliseconds(800))
        let body = #"{"category":"debt","description":"posted to a","location":{"type":"Point","coordinates":[106.97,30.84]}}"#
        let posted = try await a.call("POST", "/api/cases", role: .dispatcher, json: body)
        #expect(posted.status == 201, "\(posted.text)")
        let id = try #require(posted.object["id"]?.integerValue)
        let took = try await within() { try await b.call("/collections/cases/items/\(id)", role: .viewer).status == 200 }
        #expect(took != nil, "the case posted to one server never reached the other's items")
        print("case posted to one server served by the other after \(took.map { String(format: "%.2f s", $0) } ?? "never")")
        let after = try await b.call(tilePath, role: .viewer)
        #expect(after.status == 200 && after.body != before.body, "the other server's cases tile did not change")
        let events = try await stream.until { $0.contains("\"case_id\":\(id)") }
        #expect(events.contains("\"case_id\":\(id)"), "\(events.prefix(300))")
        // A publish from the CLI reaches both.
        let into = try await mergeFromTheCLI(a, try #require(try connect(a.db).grids.grids().first?.code))
        for s in [a, b] {
            let served = try await within() { try await s.call("/healthz").object["layer_version"]?.integerValue == 2 }
            #expect(served != nil, "server on port \(s.port) still serves the old layer")
        }
        #expect(try await b.call("/collections/grids/items/\(into)", role: .viewer).status == 200)
    }

    /// The PostGIS server goes away (a crash of the primary): requests are 503 with Retry-After
    /// within the 5 s bound, never a hang or a 500; when it is back, reads and writes resume by
    /// themselves, and every case acknowledged before is there.
    @Test func aLostDatabaseIs503AndWorkResumesWhenItIsBack() async throws {
        let cluster = try PostgresCluster.own()
        defer { cluster.stop() }
        let s = try await TestServer(kind: .postgis, at: cluster.newDatabase())
        defer { s.stop() }
        let body = #"{"category":"debt","description":"outage","location":{"type":"Point","coordinates":[106.97,30.84]}}"#
        let first = try await s.call("POST", "/api/cases", role: .dispatcher, json: body)
        #expect(first.status == 201)
        try cluster.crash()
        for (method, path) in [("POST", "/api/cases"), ("GET", "/api/cases?limit=1"), ("GET", "/collections/cases/items?limit=1")] {
            let started = Date()
            let r = try await s.call(method, path, role: .dispatcher, json: method == "POST" ? body : nil)
            #expect(r.status == 503 && r.headers["retry-after"] != nil && r.headers["content-type"] == "application/problem+json",
                    "\(method) \(path): \(r.status) \(r.text)")
            // No hang: a request that waited on the dead socket would stop only at the test client's
            // 300 s. The bound leaves room for a loaded test machine (8 ms by hand on a quiet one).
            let waited = Date().timeIntervalSince(started)
            print("ChangeFeedTests: \(method) \(path) with the database gone answered in \(String(format: "%.3f", waited)) s")
            #expect(waited < 60, "\(method) \(path) waited past the bound")
            #expect(!r.text.contains("127.0.0.1") && !r.text.lowercased().contains("postgres"), "\(r.text)")
        }
        try cluster.restart()
        let again = try await s.call("POST", "/api/cases", role: .dispatcher, json: body)
        #expect(again.status == 201, "\(again.text)")
        #expect(try await s.call("/api/cases?limit=1", role: .dispatcher).status == 200)
        let ids = [first, again].compactMap { $0.object["id"]?.integerValue }
        let stored = try ids.filter { try connect(s.db).cases.find(id: $0) != nil }
        #expect(ids.count == 2 && stored == ids)
    }

    /// `--read-db`: reads go to a streaming-replication standby and go on answering while the
    /// primary is away; writes are 503 then, and resume by themselves when it is back.
    @Test func aHotStandbyAnswersReadsWhileThePrimaryIsAway() async throws {
        let primary = try PostgresCluster.own()
        let url = primary.newDatabase()
        let standby = try primary.standby()
        defer { standby.stop(); primary.stop() }
        let s = try await TestServer(kind: .postgis, at: url, readingFrom: standby.url(String(url.split(separator: "/").last!)))
        defer { s.stop() }
        let body = #"{"category":"debt","description":"standby","location":{"type":"Point","coordinates":[106.97,30.84]}}"#
        let first = try await s.call("POST", "/api/cases", role: .dispatcher, json: body)
        let id = try #require(first.object["id"]?.integerValue, "\(first.text)")
        let code = try #require(first.object["code"]?.stringValue)
        let replicated = try await within() { try await s.call("/collections/cases/items/\(id)", role: .viewer).status == 200 }
        #expect(replicated != nil, "the standby never showed the new case")
        try primary.crash()
        let tile = WebMercator.tile(containing: Position(106.97, 30.84), zoom: 14)
        for path in ["/collections/cases/items/\(id)", "/collections/grids/items?limit=5", "/tiles/grids/\(tile.z)/\(tile.x)/\(tile.y).mvt",
                     "/api/stats?by=town", "/api/track/\(code)", "/api/cases?limit=3"] {
            let r = try await s.call(path, role: .dispatcher)
            #expect(r.status == 200, "\(path) with the primary away: \(r.status) \(r.text.prefix(200))")
        }
        let refused = try await s.call("POST", "/api/cases", role: .dispatcher, json: body)
        #expect(refused.status == 503 && refused.headers["retry-after"] != nil, "\(refused.status) \(refused.text)")
        try primary.restart()
        let again = try await s.call("POST", "/api/cases", role: .dispatcher, json: body)
        #expect(again.status == 201, "\(again.text)")
        let ids = [first, again].compactMap { $0.object["id"]?.integerValue }
        let stored = try ids.filter { try connect(url).cases.find(id: $0) != nil }
        #expect(ids.count == 2 && stored == ids)
    }
}
