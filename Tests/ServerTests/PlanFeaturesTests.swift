import Foundation
import Testing
import Geo
import Grid
import TestSupport
@testable import Cases
@testable import Server

/// OGC API – Features Part 4 on a draft plan, with OWSLib as the client: the plan is a collection,
/// a grid is replaced, added and deleted through it; the oracle is shapely (the stored polygon is
/// the one sent) and the store's plan rows against the test's own bookkeeping. Refusals leave the
/// plan as it was; the live layer never changes.
@Suite struct PlanFeaturesTests {
    @Test(arguments: StoreKind.allCases) func owsLibEditsADraftPlan(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let made = try await s.call("POST", "/api/plans", role: .planner, json: #"{"name": "OWSLib"}"#)
        #expect(made.status == 201, "\(made.text)")
        guard case .integer(let plan)? = made.object["id"] else { throw Browser.Failure(description: made.text) }
        let before = try connect(s.db).grids.planGrids(id: plan)
        let live = try connect(s.db).grids.grids()
        // A grid with a neighbour in its village: replaced (shrunk by 2% about its centre, so gaps
        // appear), and a new grid added in its place once it is deleted.
        let target = try #require(before.first { g in before.contains { $0.code != g.code && $0.villageCode == g.villageCode } })
        let script = """
            import json, sys
            from owslib.ogcapi.features import Features
            import requests
            from shapely.geometry import shape
            base, token, plan, fid = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
            headers = {"Authorization": "Bearer " + token, "Content-Type": "application/geo+json"}
            api = Features(base, headers=dict(headers))
            out = {"conformance": [c for c in api.conformance()["conformsTo"] if "features-4" in c],
                   "collections": [c["id"] for c in api.collections()["collections"]]}
            coll = "plan-" + plan
            item = api.collection_item(coll, fid)
            ring = item["geometry"]["coordinates"][0]
            cx = sum(p[0] for p in ring[:-1]) / (len(ring) - 1); cy = sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
            sent = {"type": "Polygon", "coordinates": [[[cx + (x - cx) * 0.98, cy + (y - cy) * 0.98] for x, y in ring]]}
            feature = {"type": "Feature", "id": fid, "geometry": sent, "properties": dict(item["properties"], name="OWSLib 网格")}
            out["update"] = api.collection_item_update(coll, fid, json.dumps(feature, ensure_ascii=False))
            back = requests.get(f"{base}/collections/{coll}/items/{fid}", headers=headers).json()
            # The same polygon (the ring may start elsewhere or turn counter-clockwise, RFC 7946; vertices kept to 1e-7°, about a centimetre).
            a, b = shape(back["geometry"]), shape(sent)
            out["same_polygon"] = bool(a.equals(b) or a.hausdorff_distance(b) < 1e-7)
            out["hausdorff"] = a.hausdorff_distance(b)
            out["name"] = back["properties"]["name"]
            out["delete"] = api.collection_item_delete(coll, fid)
            out["gone"] = requests.get(f"{base}/collections/{coll}/items/{fid}", headers=headers).status_code
            new = {"type": "Feature", "geometry": sent, "properties": {"name": "新网格"}}
            out["create"] = api.collection_item_create(coll, json.dumps(new, ensure_ascii=False))
            location = api.response_headers.get("Location", "")
            out["created"] = location.rsplit("/", 1)[-1]
            print(json.dumps(out, ensure_ascii=False))
            """
        let r = try await run(ReportTests.python, ["-c", script, s.base, s.tokens[.planner]!, String(plan), target.code])
        #expect(r.status == 0, "\(r.err)")
        let out = try #require(try JSONParser.parse(r.out).objectValue, "\(r.out) \(r.err)")
        #expect(out["conformance"]?.arrayValue?.contains("http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete") == true)
        #expect(out["collections"]?.arrayValue?.contains(.string("plan-\(plan)")) == true, "\(r.out)")
        #expect(out["update"] == .bool(true) && out["delete"] == .bool(true) && out["create"] == .bool(true), "\(r.out)")
        #expect(out["same_polygon"] == .bool(true) && out["name"] == .string("OWSLib 网格"), "\(r.out)")
        #expect(out["gone"] == .integer(404))
        let created = try #require(out["created"]?.stringValue)
        #expect(created.hasPrefix(target.villageCode!) && created != target.code, "a new code in the same village: \(created)")

        // The store: the plan's grids are the test's bookkeeping; the live layer is untouched.
        let after = try connect(s.db).grids.planGrids(id: plan)
        #expect(Set(after.map(\.code)) == Set(before.map(\.code)).subtracting([target.code]).union([created]))
        #expect(after.first { $0.code == created }?.name == "新网格")
        #expect(try connect(s.db).grids.grids() == live)

        // The plan's validation as the writes answer it and as its own resource says.
        let validation = try await s.call("/api/plans/\(plan)/validation", role: .planner)
        #expect(validation.object["features"]?.arrayValue?.contains { $0.objectValue?["properties"]?.objectValue?["problem"] == "gap" } == true, "\(validation.text)")

        // Refusals, each a problem, the plan unchanged.
        let item = try await s.call("/collections/plan-\(plan)/items/\(created)", role: .planner)
        let etag = try #require(item.headers["etag"])
        let body = String(decoding: try FeatureBody.withoutLinks(item.body), as: UTF8.self)
        let geo = ["Content-Type": "application/geo+json"]
        let refusals: [(String, String, String?, [String: String], Role, Int)] = [
            ("PUT", "/collections/plan-\(plan)/items/\(created)", body, geo.merging(["If-Match": "\"stale\""]) { a, _ in a }, .planner, 412),
            ("PUT", "/collections/plan-\(plan)/items/\(created)", body, geo, .viewer, 403),
            ("PUT", "/collections/plan-\(plan)/items/\(created)",
             #"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[106.9,30.8],[106.91,30.81],[106.91,30.8],[106.9,30.81],[106.9,30.8]]]},"properties":{}}"#, geo, .planner, 422),
            ("PUT", "/collections/plan-\(plan)/items/\(created)",
             #"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[100,20],[115,20],[115,40],[100,20]]]},"properties":{}}"#, geo, .planner, 422),
            ("PUT", "/collections/plan-\(plan)/items/\(created)", #"{"type":"Feature","geometry":null"#, geo, .planner, 400),
            ("PATCH", "/collections/plan-\(plan)/items/\(created)", #"{"properties":{"households_override":-4}}"#, ["Content-Type": "application/merge-patch+json"], .planner, 422),
            ("PATCH", "/collections/plan-\(plan)/items/\(created)", #"{"properties":{"colour":"red"}}"#, ["Content-Type": "application/merge-patch+json"], .planner, 422),
            ("POST", "/collections/plan-\(plan)/items", body, geo, .planner, 409),
            ("POST", "/collections/grids/items", body, geo, .planner, 405),
            ("DELETE", "/collections/plan-\(plan)/items/\(created)", nil, ["If-Match": "\"stale\""], .planner, 412),
            ("DELETE", "/collections/plan-999999/items/\(created)", nil, [:], .planner, 404),
        ]
        let rows = try connect(s.db).grids.planGrids(id: plan)
        for (method, path, json, headers, role, status) in refusals {
            let reply = try await s.call(method, path, role: role, body: json.map { Data($0.utf8) }, headers: headers)
            #expect(reply.status == status && reply.headers["content-type"] == "application/problem+json", "\(method) \(path): \(reply.status) \(reply.text)")
        }
        #expect(try connect(s.db).grids.planGrids(id: plan) == rows, "a refused write changes nothing")
        // With the right ETag it goes through, and the ETag moves on.
        let patched = try await s.call("PATCH", "/collections/plan-\(plan)/items/\(created)", role: .planner,
                                       body: Data(#"{"properties":{"households_override":420}}"#.utf8),
                                       headers: ["Content-Type": "application/merge-patch+json", "If-Match": etag])
        #expect(patched.status == 200 && patched.headers["etag"] != nil && patched.headers["etag"] != etag, "\(patched.text)")
        #expect(try connect(s.db).grids.planGrids(id: plan).first { $0.code == created }?.householdsOverride == 420)
        let options = try await s.call("OPTIONS", "/collections/plan-\(plan)/items/\(created)")
        #expect(options.headers["allow"] == "GET, HEAD, PUT, PATCH, DELETE, OPTIONS")
    }
}

/// The feature as read, without its links (to send back).
enum FeatureBody {
    static func withoutLinks(_ body: Data) throws -> Data {
        guard var o = try JSONParser.parse(Array(body)).objectValue else { return body }
        o["links"] = nil
        var w = JSONWriter()
        w.value(.object(o))
        return Data(w.bytes)
    }
}
