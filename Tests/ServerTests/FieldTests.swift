import Foundation
import Testing
import Geo
@testable import Cases
@testable import Grid
@testable import Server

/// `POST /api/workers/{id}/tracks` and a day of a track over HTTP: who may, what is refused.
@Suite struct FieldTests {
    /// `n` fixes 10 s apart walking north from `p` by `step` degrees a fix (`lat`: the third fix's).
    static func gpx(_ n: Int, from start: Date, at p: Position, lat: Double? = nil, step: Double = 0.0001) -> String {
        let f = ISO8601DateFormatter()
        var s = #"<?xml version="1.0"?><gpx version="1.1" creator="phone" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>"#
        for k in 0..<n {
            s += "<trkpt lat=\"\(k == 2 ? lat ?? p.lat : p.lat + Double(k) * step)\" lon=\"\(p.lon)\"><time>\(f.string(from: start + Double(k) * 10))</time></trkpt>"
        }
        return s + "</trkseg></trk></gpx>"
    }

    @Test(arguments: StoreKind.allCases) func workersUploadTheirTracksAndDispatchersReadThem(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let me = s.workerID
        let grids = try s.store().grids.grids(ofWorker: me)
        let grid = try #require(try s.store().grids.grids().first { $0.code == grids.first })
        let p = grid.polygon.exterior[0]
        let start = ChinaTime.date(String(ChinaTime.text(Date()).prefix(10)) + "T08:00:00+08:00")!
        func post(_ body: String, worker: Int64, role: Role = .worker, type: String = "application/gpx+xml", query: String = "") async throws -> TestServer.Reply {
            try await s.call("POST", "/api/workers/\(worker)/tracks\(query)", role: role, body: Data(body.utf8), headers: ["Content-Type": type])
        }
        let r = try await post(Self.gpx(30, from: start, at: p), worker: me)
        #expect(r.status == 201 && r.object["kept"]?.integerValue == 30, "\(r.text)")
        #expect(r.object["first"]?.stringValue == ChinaTime.text(start))
        // The day's track: one LineString of the 30 fixes, to the worker and to dispatchers.
        let today = String(ChinaTime.text(start).prefix(10))
        for role in [Role.worker, .dispatcher] {
            let day = try await s.call("/api/workers/\(me)/tracks?date=\(today)", role: role)
            let f = day.object["features"]?.arrayValue?.first?.objectValue
            #expect(day.status == 200 && f?["geometry"]?.objectValue?["type"]?.stringValue == "LineString"
                    && f?["properties"]?.objectValue?["fixes"]?.integerValue == 30, "\(role): \(day.text.prefix(200))")
        }
        // Refused: another worker's track, a viewer, a dispatcher outside the worker's area.
        let other = try #require(try scalar("SELECT id FROM workers WHERE id <> \(me) ORDER BY id LIMIT 1", on: try s.store()).flatMap { Int64($0) })
        #expect(try await post(Self.gpx(3, from: start, at: p), worker: other).status == 403)
        #expect(try await s.call("/api/workers/\(me)/tracks", role: .viewer).status == 403)
        #expect(try await s.call("/api/workers/\(other)/tracks", role: .worker).status == 403)
        let elsewhere = try #require(try s.store().grids.grids().first { $0.code.prefix(9) != grid.code.prefix(9) }).code.prefix(9)
        let town = try Tokens.create(in: try s.store(), name: "town desk", role: .dispatcher, area: String(elsewhere)).token
        #expect(try await s.call("POST", "/api/workers/\(me)/tracks", body: Data(Self.gpx(3, from: start, at: p).utf8),
                                 headers: ["Authorization": "Bearer \(town)", "Content-Type": "application/gpx+xml"]).status == 403)
        // Refused for what is sent: 415, 400, 422 naming the element, 413; nothing stored.
        let before = try s.count("track_fixes")
        #expect(try await post(Self.gpx(3, from: start, at: p), worker: me, type: "text/plain").status == 415)
        let notXML = try await post("not xml at all", worker: me)
        #expect(notXML.status == 400 && notXML.headers["content-type"] == "application/problem+json")
        let range = try await post(Self.gpx(5, from: start + 3600, at: p, lat: 95), worker: me)
        #expect(range.status == 422 && range.text.contains("trkpt 3"), "\(range.text)")
        #expect(try await post(Self.gpx(3, from: start, at: p), worker: me, query: "?crs=bd09").status == 400)
        #expect(try await post(Self.gpx(3, from: start, at: p), worker: 99_999_999, role: .dispatcher).status == 404)
        let huge = String(repeating: " ", count: 21 << 20)
        #expect(try await post(huge, worker: me).status == 413)
        #expect(try s.count("track_fixes") == before)
        // A dispatcher uploads for the worker, in GCJ-02.
        let shifted = try ChinaOffset.wgs84ToGCJ02(p)
        let g = try await post(Self.gpx(3, from: start + 7200, at: shifted), worker: me, role: .dispatcher, query: "?crs=gcj02")
        #expect(g.status == 201 && g.object["kept"]?.integerValue == 3)
    }

    /// `GET /api/patrol`: each role its reach; viewers never see workers, pass times or key households.
    /// `GET /api/workers/{id}/households`: the key households of the worker's grids, with the last
    /// visit the stored visits show; the worker themself and dispatchers only.
    @Test(arguments: StoreKind.allCases) func workersListTheirKeyHouseholds(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let me = s.workerID
        let store = try s.store()
        let mine = Set(try store.grids.grids(ofWorker: me))
        let homes = try store.grids.households().filter { $0.gridCode.map(mine.contains) ?? false }.prefix(3)
        #expect(homes.count == 3)
        try store.field.save(keyHouseholds: Dictionary(uniqueKeysWithValues: homes.map { ($0.id, KeyHousehold.keyFamily) }))
        // A visit of the first household: 4 minutes within a few metres of it, ending a minute ago.
        try await ChinaDay.room(for: 300)
        let start = Date() - 300
        let visit = try await s.call("POST", "/api/workers/\(me)/tracks", role: .worker, body: Data(Self.gpx(25, from: start, at: homes.first!.position, step: 0).utf8),
                                     headers: ["Content-Type": "application/gpx+xml"])
        #expect(visit.status == 201, "\(visit.text)")
        let r = try await s.call("/api/workers/\(me)/households", role: .worker)
        #expect(r.status == 200, "\(r.text)")
        let rows = r.object["households"]?.arrayValue?.compactMap(\.objectValue) ?? []
        #expect(Set(rows.compactMap { $0["household_id"]?.integerValue }) == Set(homes.map(\.id)))
        let expected = try store.field.visits(first: "2000-01-01", last: "2100-01-01").filter { $0.householdID == homes.first!.id }.map(\.day).max()
        #expect(expected == ChinaTime.dayText(start), "the track made a visit")
        for row in rows {
            let id = row["household_id"]?.integerValue
            #expect(row["last_visit"]?.stringValue == (id == homes.first!.id ? expected : nil), "\(row)")
            #expect(row["due"] == .bool(true) && row["visits_this_month"]?.integerValue == (id == homes.first!.id ? 1 : 0), "\(row)")
        }
        #expect(try await s.call("/api/workers/\(me)/households", role: .dispatcher).status == 200)
        #expect(try await s.call("/api/workers/\(me)/households", role: .viewer).status == 403)
        let other = try #require(try store.grids.workers().first { $0.id != me })
        #expect(try await s.call("/api/workers/\(other.id)/households", role: .worker).status == 403)
        #expect(try await s.call("/api/workers/\(me)/households?crs=EPSG:3857", role: .worker).status == 400)
    }

    @Test(arguments: StoreKind.allCases) func patrolFiguresShowEachRoleItsOwn(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let me = s.workerID
        let mine = try s.store().grids.grids(ofWorker: me)
        let grid = try #require(try s.store().grids.grids().first { $0.code == mine.first })
        let today = ChinaTime.dayText(Date())
        let start = ChinaTime.date(today + "T08:00:00+08:00")!
        // 70 fixes 10 s apart walking north from a vertex: not a pass (under 10 minutes in the grid).
        let up = try await s.call("POST", "/api/workers/\(me)/tracks", role: .worker, body: Data(Self.gpx(70, from: start, at: grid.polygon.exterior[0]).utf8),
                                  headers: ["Content-Type": "application/gpx+xml"])
        #expect(up.status == 201)
        let all = try await s.call("/api/patrol?date=\(today)&by=grid", role: .dispatcher)
        let rows = all.object["grids"]?.arrayValue?.compactMap(\.objectValue) ?? []
        let gridCount = try s.store().grids.grids().count
        #expect(all.status == 200 && rows.count == gridCount, "\(all.text.prefix(300))")
        #expect(rows.allSatisfy { $0["workers"] != nil && $0["key_households_due"] != nil })
        #expect(rows.first { $0["grid_id"]?.stringValue == grid.code }?["flags"]?.arrayValue?.compactMap(\.stringValue) == ["no_morning_pass", "no_afternoon_pass"])
        // Viewers: per grid and town, no people.
        for by in ["grid", "town"] {
            let v = try await s.call("/api/patrol?by=\(by)", role: .viewer)
            #expect(v.status == 200 && !v.text.contains("workers\"") && !v.text.contains("pass_times") && !v.text.contains("key_households"), "\(v.text.prefix(300))")
        }
        let refused = try await s.call("/api/patrol?by=worker", role: .viewer)
        #expect(refused.status == 403 && refused.headers["content-type"] == "application/problem+json")
        // A worker: their own row and grids only.
        let own = try await s.call("/api/patrol?by=worker&date=\(today)", role: .worker)
        #expect(own.status == 200 && own.object["workers"]?.arrayValue?.compactMap { $0.objectValue?["worker_id"]?.integerValue } == [me], "\(own.text.prefix(300))")
        let ownGrids = try await s.call("/api/patrol", role: .worker)
        #expect(Set(ownGrids.object["grids"]?.arrayValue?.compactMap { $0.objectValue?["grid_id"]?.stringValue } ?? []) == Set(mine))
        // Bad parameters.
        for q in ["by=village", "date=2026-13-01", "date=yesterday", "when=today"] {
            let bad = try await s.call("/api/patrol?\(q)", role: .dispatcher)
            #expect(bad.status == 400 && bad.headers["content-type"] == "application/problem+json", "\(q): \(bad.text)")
        }
    }

    /// `POST /api/workers/{id}/position`: kept (the newest), sent to dispatchers' live feeds, listed
    /// for dispatchers only; bad positions refused.
    @Test(arguments: StoreKind.allCases) func positionsReachDispatchersOnly(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let me = s.workerID
        let dispatch = try EventStream(s, role: .dispatcher)
        let viewing = try EventStream(s, role: .viewer)
        _ = try await dispatch.until(30) { $0.contains("retry:") }
        _ = try await viewing.until(30) { $0.contains("retry:") }
        let now = Date()
        func post(_ body: String, worker: Int64? = nil, role: Role = .worker) async throws -> TestServer.Reply {
            try await s.call("POST", "/api/workers/\(worker ?? me)/position", role: role, body: Data(body.utf8), headers: ["Content-Type": "application/json"])
        }
        let at = ChinaTime.text(now - 60)
        let r = try await post(#"{"lon": 106.97, "lat": 30.84, "at": "\#(at)", "accuracy_m": 8}"#)
        #expect(r.status == 200 && r.object["worker_id"]?.integerValue == me && r.object["at"]?.stringValue == at, "\(r.text)")
        // GCJ-02 from the phone's map is stored in WGS84; an older position than the kept one is ignored.
        let gcj = try ChinaOffset.wgs84ToGCJ02(Position(106.98, 30.85))
        #expect(try await post(#"{"lon": \#(gcj.lon), "lat": \#(gcj.lat), "crs": "GCJ-02"}"#).status == 200)
        #expect(try await post(#"{"lon": 106.0, "lat": 30.0, "at": "\#(ChinaTime.text(now - 600))"}"#).status == 200)
        let list = try await s.call("/api/workers/positions", role: .dispatcher)
        let mine = list.object["features"]?.arrayValue?.compactMap(\.objectValue).first { $0["properties"]?.objectValue?["worker_id"]?.integerValue == me }
        let xy = mine?["geometry"]?.objectValue?["coordinates"]?.arrayValue?.compactMap(\.doubleValue) ?? []
        #expect(list.status == 200 && xy.count == 2 && abs(xy[0] - 106.98) < 1e-6 && abs(xy[1] - 30.85) < 1e-6, "\(list.text.prefix(300))")
        #expect(mine?["properties"]?.objectValue?["fresh"] == .bool(true))
        // The dispatcher's feed has the position events; the viewer's has none.
        let seen = try await dispatch.until { $0.components(separatedBy: "event: position").count > 2 }
        #expect(seen.contains("event: position") && seen.contains("\"worker_id\":\(me)"), "\(seen.suffix(400))")
        #expect(!viewing.text.contains("event: position"))
        // Who may not, and what is refused.
        for role in [Role.viewer, .worker] { #expect(try await s.call("/api/workers/positions", role: role).status == 403) }
        let other = try #require(try scalar("SELECT id FROM workers WHERE id <> \(me) ORDER BY id LIMIT 1", on: try s.store()).flatMap { Int64($0) })
        #expect(try await post(#"{"lon": 106.97, "lat": 30.84}"#, worker: other).status == 403)
        #expect(try await post(#"{"lon": 106.97, "lat": 30.84}"#, role: .viewer).status == 403)
        for bad in [#"{"lon": 2.35, "lat": 48.85}"#, #"{"lat": 30.84}"#, #"{"lon": 106.97, "lat": 30.84, "accuracy_m": -1}"#,
                    #"{"lon": 106.97, "lat": 30.84, "at": "2020-01-01T00:00:00Z"}"#, #"{"lon": "east", "lat": 30.84}"#,
                    #"{"lon": 106.97, "lat": 30.84, "speed": 3}"#, #"{"lon": 106.97, "lat": 30.84, "crs": "BD-09"}"#] {
            let b = try await post(bad)
            #expect((400...422).contains(b.status) && b.headers["content-type"] == "application/problem+json", "\(bad): \(b.status) \(b.text)")
        }
        #expect(try await post("{not json").status == 400)
        // An urgent case's candidates: dispatchers only.
        let grid = try #require(try s.store().grids.grids().first { $0.code == (try s.store().grids.grids(ofWorker: me)).first })
        let inside = grid.polygon.exterior[0]
        let body = #"{"category":"neighbour","priority":"urgent","description":"fight","location":{"type":"Point","coordinates":[\#(inside.lon),\#(inside.lat)]}}"#
        let made = try await s.call("POST", "/api/cases", role: .dispatcher, body: Data(body.utf8), headers: ["Content-Type": "application/json"])
        let id = try #require(made.object["id"]?.integerValue, "\(made.text)")
        let near = try await s.call("/api/cases/\(id)/nearest", role: .dispatcher)
        #expect(near.status == 200 && near.object["reason"]?.stringValue?.hasPrefix("urgent: ") == true && near.object["workers"]?.arrayValue != nil, "\(near.text)")
        #expect(try await s.call("/api/cases/\(id)/nearest", role: .viewer).status == 403)
        #expect(try await s.call("/api/cases/99999999/nearest", role: .dispatcher).status == 404)
        dispatch.stop()
        viewing.stop()
    }
}
