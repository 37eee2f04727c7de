import Foundation
import Testing
import Geo
@testable import Cases
@testable import Grid
@testable import Server

/// `POST /api/workers/{id}/tracks` and a day of a track over HTTP: who may, what is refused.
@Suite struct FieldTests {
    static func gpx(_ n: Int, from start: Date, at p: Position, lat: Double? = nil) -> String {
        let f = ISO8601DateFormatter()
        var s = #"<?xml version="1.0"?><gpx version="1.1" creator="phone" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>"#
        for k in 0..<n {
            s += "<trkpt lat=\"\(k == 2 ? lat ?? p.lat : p.lat + Double(k) * 0.0001)\" lon=\"\(p.lon)\"><time>\(f.string(from: start + Double(k) * 10))</time></trkpt>"
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
}
