import Foundation
import Testing
import Geo
@testable import Cases
@testable import Grid
@testable import Server

/// The dispatch API against the running server.
@Suite struct CasesAPITests {
    /// A place inside the first grid, as the county's households are.
    var place: Position { tinyDemo.result.households.first { $0.gridCode == tinyDemo.result.grids[0].code }?.position ?? tinyDemo.result.households[0].position }

    func intake(_ s: TestServer, _ p: Position, crs: String = "EPSG:4326", party: String = "王五") async throws -> TestServer.Reply {
        try await s.call("POST", "/api/cases", role: .dispatcher, json: """
            {"category":"neighbour","description":"邻里噪音","channel":"qr","location":{"type":"Point","coordinates":[\(p.lon),\(p.lat)]},
             "crs":"\(crs)","parties":[{"name":"\(party)","phone":"13911112222","id_number":"510000199001011234"}]}
            """)
    }

    @Test(arguments: StoreKind.allCases) func intakeLandsOnTheGridAtThePlace(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let r = try await intake(s, place)
        #expect(r.status == 201)
        let o = r.object
        for key in ["id", "code", "grid_id", "assignee", "status", "due_at"] { #expect(o[key] != nil, "missing \(key)") }
        // grid_id is the grid's code: the same value as the grids collection's grid_id property there.
        let gridID = try #require(o["grid_id"]?.stringValue)
        let f = try await s.call("/collections/grids/items/\(gridID)", role: .viewer)
        #expect(f.object["properties"]?.objectValue?["grid_id"]?.stringValue == gridID)
        #expect(GridLayer(grids: tinyDemo.result.grids).grid(at: place)?.code == gridID)
        #expect(o["status"]?.stringValue == "assigned")
        #expect(r.headers["location"] == "/api/cases/\(o["id"]!.integerValue!)")
        // The same place given in GCJ-02 lands on the same grid.
        let g = try await intake(s, try ChinaOffset.wgs84ToGCJ02(place), crs: "GCJ-02")
        #expect(g.object["grid_id"]?.stringValue == gridID)
    }

    @Test(arguments: StoreKind.allCases) func lifecycleTrackingAndPersonalData(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let created = try await intake(s, place, party: "赵六").object
        let id = created["id"]!.integerValue!
        let code = created["code"]!.stringValue!
        // An illegal move is refused with the allowed ones listed.
        let bad = try await s.call("POST", "/api/cases/\(id)/transitions", role: .dispatcher, json: #"{"to":"rated","rating":5}"#)
        #expect(bad.status == 409)
        #expect(bad.text.contains("allowed: assigned, accepted, escalated"))
        for to in ["accepted", "mediating", "resolved", "closed"] {
            let r = try await s.call("POST", "/api/cases/\(id)/transitions", role: .dispatcher, json: #"{"to":"\#(to)","note":"ok"}"#)
            #expect(r.status == 200 && r.object["status"]?.stringValue == to, "\(to): \(r.text)")
        }
        let noRating = try await s.call("POST", "/api/cases/\(id)/transitions", role: .dispatcher, json: #"{"to":"rated"}"#)
        #expect(noRating.status == 422)
        #expect(try await s.call("POST", "/api/cases/\(id)/transitions", role: .dispatcher, json: #"{"to":"rated","rating":4}"#).status == 200)
        // Dispatchers see the parties; viewers do not; the public tracking view never does.
        let full = try await s.call("/api/cases/\(id)", role: .dispatcher)
        #expect(full.text.contains("赵六") && full.text.contains("13911112222"))
        #expect((full.object["events"]?.arrayValue?.count ?? 0) >= 7)
        let viewer = try await s.call("/api/cases/\(id)", role: .viewer)
        #expect(viewer.status == 200 && !viewer.text.contains("赵六") && !viewer.text.contains("13911112222"))
        let track = try await s.call("/api/track/\(code.lowercased().replacingOccurrences(of: "-", with: ""))")
        #expect(track.status == 200)
        #expect(track.object["status"]?.stringValue == "rated")
        #expect(!track.text.contains("赵六") && !track.text.contains("1391111") && !track.text.contains("510000") && !track.text.contains("dispatcher"))
        // Nor do the map collection's properties.
        let item = try await s.call("/collections/cases/items/\(id)", role: .viewer)
        #expect(item.status == 200 && !item.text.contains("赵六") && !item.text.contains("邻里噪音"))
    }

    @Test(arguments: StoreKind.allCases) func alertsOpenThenMerge(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let camera = tinyDemo.result.cameras[5].id
        let first = try await s.call("POST", "/api/alerts", role: .dispatcher, json: #"{"camera_id":"\#(camera)","type":"crowd_gathering","at":"2026-11-22T09:00:00+08:00"}"#)
        #expect(first.status == 201)
        let again = try await s.call("POST", "/api/alerts", role: .dispatcher, json: #"{"camera_id":"\#(camera)","type":"crowd_gathering","at":"2026-11-22T09:05:00+08:00"}"#)
        #expect(again.status == 200)
        #expect(again.object["merged"] == .bool(true))
        #expect(again.object["case"]?.objectValue?["id"] == first.object["case"]?.objectValue?["id"])
        #expect(try await s.call("POST", "/api/alerts", role: .dispatcher, json: #"{"camera_id":"nope","type":"fight"}"#).status == 404)
        #expect(try await s.call("POST", "/api/alerts", role: .dispatcher, json: #"{"camera_id":"\#(camera)","type":"ufo"}"#).status == 422)
    }

    /// A camera looking across a grid edge: the alert goes to the grid it sees most of, with the
    /// pole's grid beside it; a PTZ bearing turns it; bad bearings are 422s; the view areas are a
    /// collection of polygons.
    @Test(arguments: StoreKind.allCases) func alertsGoWhereTheCameraLooks(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let camera = try #require(tinyDemo.result.cameras.first { $0.view != nil && $0.gridCode != nil && $0.viewGridCode != $0.gridCode })
        let r = try await s.call("POST", "/api/alerts", role: .dispatcher, json: #"{"camera_id":"\#(camera.id)","type":"intrusion"}"#)
        #expect(r.status == 201 || r.status == 200)
        let c = r.object["case"]?.objectValue
        #expect(c?["grid_id"]?.stringValue == camera.viewGridCode && c?["pole_grid_id"]?.stringValue == camera.gridCode, "\(r.text)")
        let pole = try #require(tinyDemo.result.cameras.first { $0.view == nil })
        for (id, bearing, word) in [(camera.id, "360", "bearing"), (camera.id, "\"north\"", "bearing must be a number"), (pole.id, "90", "no view parameters")] {
            let bad = try await s.call("POST", "/api/alerts", role: .dispatcher, json: #"{"camera_id":"\#(id)","type":"fight","bearing":\#(bearing)}"#)
            #expect(bad.status == 422 && bad.headers["content-type"] == "application/problem+json" && bad.text.contains(word), "\(bad.text)")
        }
        let view = try await s.call("/collections/camera_views/items/\(camera.id)", role: .viewer)
        #expect(view.status == 200)
        #expect(view.object["geometry"]?.objectValue?["type"]?.stringValue == "Polygon")
        #expect(view.object["properties"]?.objectValue?["grid_id"]?.stringValue == camera.viewGridCode)
        let all = try await s.call("/collections/camera_views/items?limit=10000", role: .viewer)
        #expect(all.object["numberMatched"]?.integerValue == Int64(tinyDemo.result.cameras.filter { $0.view != nil }.count))
    }

    @Test(arguments: StoreKind.allCases) func badIntakesWriteNothing(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let before = try connect(s.db).cases.count()
        let bodies: [(String, Int, String)] = [
            (#"{"category":"land","description":"x","location":{"type":"Point","coordinates":[2.35,48.85]}}"#, 422, "outside China"),
            (#"{"category":"land","description":"x","location":{"type":"Point","coordinates":[200,30]}}"#, 400, "out of range"),
            (#"{"category":"land","description":"x","location":{"type":"Point","coordinates":[106.9,30.8]},"crs":"EPSG:3857"}"#, 400, "crs"),
            (#"{"category":"land","description":"x","household_id":99999999}"#, 404, "household"),
            (#"{"category":"land","description":"x","location":{"type":"LineString","coordinates":[[106.9,30.8],[107,30.9]]}}"#, 422, "Point"),
            (#"{"category":"war","description":"x","location":{"type":"Point","coordinates":[106.9,30.8]}}"#, 422, "category"),
            (#"{"category":"land","description":"","location":{"type":"Point","coordinates":[106.9,30.8]}}"#, 422, "description"),
            (#"{"category":"land","description":"x","location":{"type":"Point","coordinates":[106.9,30.8]},"parties":[{"phone":"1"}]}"#, 422, "name"),
            (#"{"category":"land","description":"x","location":{"type":"Point","coordinates":[106.9,30.8]},"weather":"rain"}"#, 422, "weather"),
            (#"{"category":"land","#, 400, "malformed"),
            (#"[1,2]"#, 400, "object"),
        ]
        for (body, status, word) in bodies {
            let r = try await s.call("POST", "/api/cases", role: .dispatcher, json: body)
            #expect(r.status == status, "\(body) → \(r.status) \(r.text)")
            #expect(r.headers["content-type"] == "application/problem+json")
            #expect(r.text.contains(word), "\(r.text)")
        }
        let plain = try await s.call("POST", "/api/cases", role: .dispatcher, body: Data("{}".utf8), headers: ["Content-Type": "text/plain"])
        #expect(plain.status == 415)
        let huge = try await s.call("POST", "/api/cases", role: .dispatcher, body: Data(repeating: 0x20, count: 1_100_000), headers: ["Content-Type": "application/json"])
        #expect(huge.status == 413)
        #expect(try connect(s.db).cases.count() == before)
        #expect(try await s.call("/healthz").status == 200)
    }

    /// Many concurrent intakes: every one acknowledged is stored (group commit), none fails.
    @Test(arguments: StoreKind.allCases) func concurrentIntakesAreAllStored(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let before = try connect(s.db).cases.count()
        let p = place
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for k in 0..<120 {
                group.addTask { try await intake(s, Position(p.lon + Double(k % 10) * 1e-5, p.lat), party: "甲\(k)").status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.allSatisfy { $0 == 201 })
        #expect(try connect(s.db).cases.count() == before + 120)
    }

    /// A phone on a poor network retries: 20 concurrent POSTs under one `Idempotency-Key` make one
    /// case and all answer it; the key with another body is refused; another key is another case.
    /// A phone resends a step whose answer it lost: under the same key, the case as it stands and
    /// no second step, also once a later step made the first illegal; another body is refused.
    @Test(arguments: StoreKind.allCases) func anIdempotencyKeyMakesOneStep(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let p = place
        let made = try await s.call("POST", "/api/cases", role: .dispatcher,
                                    json: #"{"category":"debt","description":"step retried \#(kind)","location":{"type":"Point","coordinates":[\#(p.lon),\#(p.lat)]}}"#)
        let id = try #require(made.object["id"]?.integerValue)
        #expect(made.object["next"]?.arrayValue?.compactMap(\.stringValue) == Case.Status(rawValue: made.object["status"]?.stringValue ?? "")?.next.map(\.rawValue))
        let key = "step-\(UUID().uuidString)"
        let accept = #"{"to":"accepted"}"#
        let answers = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { try await s.call("POST", "/api/cases/\(id)/transitions", role: .dispatcher, json: accept, headers: ["Idempotency-Key": key]).status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(answers.allSatisfy { $0 == 200 }, "\(answers)")
        let steps = { () async throws -> Int in
            (try await s.call("/api/cases/\(id)", role: .dispatcher).object["events"]?.arrayValue ?? [])
                .filter { $0.objectValue?["to"]?.stringValue == "accepted" }.count
        }
        #expect(try await steps() == 1)
        #expect(try await s.call("POST", "/api/cases/\(id)/transitions", role: .dispatcher, json: #"{"to":"mediating"}"#).status == 200)
        let again = try await s.call("POST", "/api/cases/\(id)/transitions", role: .dispatcher, json: accept, headers: ["Idempotency-Key": key])
        #expect(again.status == 200 && again.object["status"]?.stringValue == "mediating", "\(again.text)")
        #expect(try await steps() == 1)
        let other = try await s.call("POST", "/api/cases/\(id)/transitions", role: .dispatcher, json: #"{"to":"resolved"}"#, headers: ["Idempotency-Key": key])
        #expect(other.status == 422, "\(other.text)")
        // Without the key, the same step is judged afresh: not allowed from mediating.
        #expect(try await s.call("POST", "/api/cases/\(id)/transitions", role: .dispatcher, json: accept).status == 409)
    }

    @Test(arguments: StoreKind.allCases) func anIdempotencyKeyMakesOneCase(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let p = place
        let body = #"{"category":"debt","description":"retried \#(kind)","location":{"type":"Point","coordinates":[\#(p.lon),\#(p.lat)]}}"#
        let key = "retry-\(kind)-\(UUID().uuidString)"
        let answers = try await withThrowingTaskGroup(of: (Int, Int64?).self) { group in
            for _ in 0..<20 {
                group.addTask {
                    let r = try await s.call("POST", "/api/cases", role: .dispatcher, json: body, headers: ["Idempotency-Key": key])
                    return (r.status, r.object["id"]?.integerValue)
                }
            }
            return try await group.reduce(into: [(Int, Int64?)]()) { $0.append($1) }
        }
        #expect(answers.allSatisfy { $0.0 == 201 }, "\(answers)")
        #expect(Set(answers.map(\.1)).count == 1 && answers[0].1 != nil, "\(answers)")
        #expect(try s.count("cases", where: "description = 'retried \(kind)'") == 1)
        let other = try await s.call("POST", "/api/cases", role: .dispatcher, json: body.replacingOccurrences(of: "debt", with: "land"),
                                     headers: ["Idempotency-Key": key])
        #expect(other.status == 422 && other.object["detail"]?.stringValue?.contains("Idempotency-Key") == true, "\(other.text)")
        let fresh = try await s.call("POST", "/api/cases", role: .dispatcher, json: body, headers: ["Idempotency-Key": key + "-2"])
        #expect(fresh.status == 201 && fresh.object["id"]?.integerValue != answers[0].1)
        #expect(try s.count("cases", where: "description = 'retried \(kind)'") == 2)
        let bad = try await s.call("POST", "/api/cases", role: .dispatcher, json: body, headers: ["Idempotency-Key": String(repeating: "k", count: 256)])
        #expect(bad.status == 400)
    }

    @Test(arguments: StoreKind.allCases) func statsAndAssign(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let st = try await s.call("/api/stats?by=town", role: .viewer)
        #expect(st.status == 200)
        let figures = st.object["figures"]?.arrayValue ?? []
        #expect(!figures.isEmpty)
        #expect(figures.allSatisfy { $0.objectValue?["received"]?.integerValue != nil && $0.objectValue?["closure_rate"] != nil })
        let a = try await s.call("/api/assign?lon=\(place.lon)&lat=\(place.lat)", role: .dispatcher).object
        #expect(a["grid_id"]?.stringValue == tinyDemo.result.grids[0].code)
        #expect(a["on_duty"]?.objectValue?["worker_id"] != nil)
        let outside = try await s.call("/api/assign?lon=116.4&lat=39.9", role: .dispatcher).object
        #expect(outside["grid_id"] == .null)
        #expect(outside["unit"]?.stringValue?.hasPrefix("county:") == true)
    }

    /// The live feed: a change appears on an open stream, and Last-Event-ID replays what was missed.
    @Test(arguments: StoreKind.allCases) func liveFeedAndReplay(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        // The stream starts from the feed's position now (`Last-Event-ID`), so a stream that
        // subscribes only after the intake below (curl slow to start under load) still gets the
        // case, from the table.
        let position = try scalar("SELECT coalesce(max(id), 0) FROM case_events", on: try s.store()) ?? "0"
        let stream = try EventStream(s, lastEventID: position)
        defer { stream.stop() }
        try await Task.sleep(for: .milliseconds(800))
        let made = try await intake(s, place, party: "孙七").object
        let id = made["id"]!.integerValue!
        let text = try await stream.until { $0.contains("\"case_id\":\(id)") }
        #expect(text.contains("\"case_id\":\(id)"))
        #expect(!text.contains("孙七"))
        let eventIDs = text.split(separator: "\n").filter { $0.hasPrefix("id: ") }.compactMap { Int64($0.dropFirst(4)) }
        let firstOfCase = try #require(eventIDs.min())
        // Reconnect from just before: the same events come again, in order.
        let replay = try EventStream(s, lastEventID: String(firstOfCase - 1))
        defer { replay.stop() }
        let again = try await replay.until { $0.contains("id: \(eventIDs.max()!)\n") }
        let replayed = again.split(separator: "\n").filter { $0.hasPrefix("id: ") }.compactMap { Int64($0.dropFirst(4)) }
        #expect(replayed.first == firstOfCase)
        #expect(replayed == replayed.sorted())
    }
}
