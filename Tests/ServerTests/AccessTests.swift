import Foundation
import Testing
import Geo
@testable import Cases
@testable import Grid
@testable import Server

/// Who may do what, tokens, and the planners' API.
@Suite struct AccessTests {
    @Test(arguments: StoreKind.allCases) func rolesStayInBounds(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let intake = #"{"category":"debt","description":"欠款","location":{"type":"Point","coordinates":[106.97,30.84]}}"#
        // No token: only tracking, metadata, health and metrics.
        #expect(try await s.call("/collections/grids/items").status == 401)
        #expect(try await s.call("/api/cases").status == 401)
        #expect(try await s.call("/collections").status == 200)
        let noToken = try await s.call("POST", "/api/cases", json: intake)
        #expect(noToken.status == 401 && noToken.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
        // A wrong token is refused everywhere, even where none is needed.
        #expect(try await s.call("/collections", headers: ["Authorization": "Bearer wg_nope"]).status == 401)
        #expect(try await s.call("/collections", headers: ["Authorization": "Basic abc"]).status == 401)
        // Viewers read, never write; planners do not take cases; dispatchers do not plan.
        #expect(try await s.call("POST", "/api/cases", role: .viewer, json: intake).status == 403)
        #expect(try await s.call("POST", "/api/cases", role: .planner, json: intake).status == 403)
        #expect(try await s.call("POST", "/api/plans", role: .dispatcher, json: "{}").status == 403)
        #expect(try await s.call("POST", "/api/plans", role: .viewer, json: "{}").status == 403)
        #expect(try await s.call("/collections/grids/items?limit=1", role: .planner).status == 200)
        let forbidden = try await s.call("POST", "/api/plans", role: .viewer, json: "{}")
        #expect(forbidden.headers["content-type"] == "application/problem+json" && forbidden.text.contains("needs planner"))
    }

    /// Viewers (leaders' screens) never see parties, free text or staff phones; dispatchers do.
    @Test(arguments: StoreKind.allCases) func viewersSeeNoPersonalDataOrFreeText(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let id = try #require(try connect(s.db).cases.list(limit: 1).first?.id)
        let viewer = try await s.call("/api/cases/\(id)", role: .viewer).object
        #expect(viewer["description"] == nil && viewer["parties"] == nil)
        let events = viewer["events"]?.arrayValue?.compactMap(\.objectValue) ?? []
        #expect(!events.isEmpty && events.allSatisfy { $0["actor"] == .null && ($0["note"] == .null || $0["action"]?.stringValue == "moved") })
        let listed = try await s.call("/api/cases?limit=50", role: .viewer).object["cases"]?.arrayValue ?? []
        #expect(!listed.isEmpty && listed.allSatisfy { $0.objectValue?["description"] == nil })
        let dispatcher = try await s.call("/api/cases/\(id)", role: .dispatcher).object
        #expect(dispatcher["description"]?.stringValue?.isEmpty == false && dispatcher["parties"]?.arrayValue != nil)
        #expect(dispatcher["events"]?.arrayValue?.first?.objectValue?["actor"]?.stringValue?.isEmpty == false)
        // Who takes a case here: names and roles for all, phones not for viewers.
        let seen = try await s.call("/api/assign?lon=106.97&lat=30.84", role: .viewer).object
        let staffed = try await s.call("/api/assign?lon=106.97&lat=30.84", role: .dispatcher).object
        let worker = try #require(staffed["on_duty"]?.objectValue ?? staffed["leader"]?.objectValue)
        #expect(worker["phone"]?.stringValue?.isEmpty == false)
        for key in ["on_duty", "leader"] { #expect(seen[key]?.objectValue.map { $0["phone"] == .null } ?? true) }
    }

    @Test(arguments: StoreKind.allCases) func workersSeeTheirOwnGrids(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let db = try connect(s.db).grids
        let mine = Set(try db.grids(ofWorker: s.workerID))
        let list = try await s.call("/api/cases?limit=1000", role: .worker).object
        let grids = list["cases"]?.arrayValue?.compactMap { $0.objectValue?["grid_id"]?.stringValue } ?? []
        #expect(grids.allSatisfy(mine.contains))
        let items = try await s.call("/collections/cases/items?limit=1000", role: .worker).object
        #expect((items["features"]?.arrayValue ?? []).allSatisfy { mine.contains($0.objectValue?["properties"]?.objectValue?["grid_id"]?.stringValue ?? "") })
        // A case elsewhere is not theirs to see or move, and they are told so (the phone's page says it).
        let other = try connect(s.db).cases.list(limit: 1000).first { !mine.contains($0.gridCode ?? "") }!
        for r in [try await s.call("/api/cases/\(other.id)", role: .worker),
                  try await s.call("POST", "/api/cases/\(other.id)/transitions", role: .worker, json: #"{"to":"accepted"}"#)] {
            #expect(r.status == 403 && r.object["type"]?.stringValue?.hasSuffix("not-your-grid") == true, "\(r.text)")
        }
        #expect(try await s.call("/api/cases/999999999", role: .worker).status == 404)
    }

    @Test(arguments: StoreKind.allCases) func tokensFromTheCLIAndRevocation(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let made = try await run(wanggeBinary, ["token", "create", "--db", s.db, "--role", "viewer", "--name", "大屏"])
        #expect(made.status == 0, "\(made.err)")
        let token = String(made.out.split(separator: "\n").last!)
        #expect(token.hasPrefix("wg_") && token.count > 40)
        // Stored as a digest only.
        #expect(try s.count("api_tokens", where: "digest = '\(token)'") == 0 && s.count("api_tokens") > 0)
        #expect(try await s.call("/collections/grids/items?limit=1", headers: ["Authorization": "Bearer \(token)"]).status == 200)
        let id = String(made.out.split(separator: " ")[1])
        #expect(try await run(wanggeBinary, ["token", "revoke", "--db", s.db, id]).status == 0)
        try await Task.sleep(for: .milliseconds(2200))
        #expect(try await s.call("/collections/grids/items?limit=1", headers: ["Authorization": "Bearer \(token)"]).status == 401)
        let bad = try await run(wanggeBinary, ["token", "create", "--db", s.db, "--role", "mayor", "--name", "x"])
        #expect(bad.status != 0 && bad.err.contains("unknown role mayor"))
    }

    @Test(arguments: StoreKind.allCases) func publicCollectionsAreASetting(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind, publicCollections: ["grids"])
        defer { s.stop() }
        #expect(try await s.call("/collections/grids/items?limit=1").status == 200)
        #expect(try await s.call("/collections/cases/items?limit=1").status == 401)
        #expect(try await s.call("/collections/households/items?limit=1").status == 401)
    }

    /// A planner's day over HTTP: plan, edit, see the problems, publish; map clients see the new layer.
    @Test(arguments: StoreKind.allCases) func planningOverHTTP(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let plan = try await s.call("POST", "/api/plans", role: .planner, json: #"{"name":"重划"}"#)
        #expect(plan.status == 201)
        let id = plan.object["id"]!.integerValue!
        // Merge two neighbours of one village: the merged grid is over the band, and says so.
        let grids = tinyDemo.result.grids
        let ctx = GEOSContext()
        var pair: (Grid, Grid)?
        search: for g in grids {
            for h in grids where h.code > g.code && h.villageCode == g.villageCode {
                if try ctx.shape(.polygon(g.polygon)).sharesEdge(with: try ctx.shape(.polygon(h.polygon))) { pair = (g, h); break search }
            }
        }
        let (a, b) = try #require(pair)
        let op = try await s.call("POST", "/api/plans/\(id)/operations", role: .planner,
                                  json: #"{"op":"merge","grid_id":"\#(b.code)","into":"\#(a.code)"}"#)
        #expect(op.status == 200, "\(op.text)")
        let problems = op.object["problems"]?.objectValue?["features"]?.arrayValue ?? []
        if a.effectiveHouseholds + b.effectiveHouseholds > 500 {
            #expect(problems.contains { $0.objectValue?["properties"]?.objectValue?["problem"]?.stringValue == "outside_band" })
            let refused = try await s.call("POST", "/api/plans/\(id)/publish", role: .planner, json: "{}")
            #expect(refused.status == 422)
            #expect(try await s.call("POST", "/api/plans/\(id)/operations", role: .planner,
                                     json: #"{"op":"override","grid_id":"\#(a.code)","households":480}"#).status == 200)
        }
        let diff = try await s.call("/api/plans/\(id)/diff", role: .planner).object
        #expect(diff["removed"]?.arrayValue == [.string(b.code)])
        // Taking effect an hour after the first version, so the history can be asked about either.
        let v1 = try #require(try connect(s.db).grids.versions().first?.effectiveAt)
        let v1Date = try Date.ISO8601FormatStyle().parse(v1)
        let fmt = Date.ISO8601FormatStyle(timeZone: TimeZone(secondsFromGMT: 8 * 3600)!)
        let published = try await s.call("POST", "/api/plans/\(id)/publish", role: .planner,
                                         json: #"{"effective_at":"\#(fmt.format(v1Date + 3600))"}"#)
        #expect(published.status == 200, "\(published.text)")
        #expect(published.object["version"]?.integerValue == 2)
        // The map collection follows at once.
        let after = try await s.call("/collections/grids/items?limit=1000", role: .viewer).object
        #expect(after["numberMatched"]?.integerValue == Int64(grids.count - 1))
        #expect(try await s.call("/collections/grids/items/\(b.code)", role: .viewer).status == 404)
        // Unknown operations and bad geometry are refused, and the plan is not a draft any more.
        #expect(try await s.call("POST", "/api/plans/\(id)/operations", role: .planner, json: #"{"op":"explode"}"#).status == 422)
        #expect(try await s.call("POST", "/api/plans/\(id)/operations", role: .planner,
                                 json: #"{"op":"merge","grid_id":"\#(a.code)","into":"\#(a.code)"}"#).status == 422)
        let history = try await s.call("/api/grids/history", role: .viewer).json?.arrayValue ?? []
        #expect(history.count == 2)
        // The layer as it was: datetime gives the version then in force.
        func matched(_ t: Date) async throws -> Int64? {
            let q = fmt.format(t).replacingOccurrences(of: "+", with: "%2B")
            return try await s.call("/collections/grids/items?limit=1000&datetime=\(q)", role: .viewer).object["numberMatched"]?.integerValue
        }
        #expect(try await matched(v1Date) == Int64(grids.count))
        #expect(try await matched(v1Date + 7200) == Int64(grids.count - 1))
        #expect(try await matched(v1Date - 86400) == 0)
        let rolled = try await s.call("POST", "/api/grids/rollback", role: .planner, json: #"{"version":1}"#)
        #expect(rolled.status == 200 && rolled.object["version"]?.integerValue == 3)
        #expect(try await s.call("/collections/grids/items/\(b.code)", role: .viewer).status == 200)
    }
}

/// The built `wangge` binary (the test command builds it first).
let wanggeBinary = repoRoot.appendingPathComponent(".build/debug/wangge").path
