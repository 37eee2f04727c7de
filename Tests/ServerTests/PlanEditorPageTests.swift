import Foundation
import Testing
import Geo
import Grid
import TestSupport
@testable import Cases
@testable import Server

/// The plan editor on /map, in real Chromium driven by WebDriver pointer actions: a vertex shared
/// by three grids (or two) dragged, an undo, a split drawn across a grid. The oracle is shapely over the
/// plan's grids as the API serves them: every grid that held the vertex holds the new one (the
/// same displacement for all), no overlap or gap appeared, the undo put the plan back, and the
/// split on the page equals the same split through the API on another plan. The page's problem
/// list is the server's validation. One run draws over a GCJ-02 basemap (the page sends GCJ-02).
@Suite struct PlanEditorPageTests {
    static let oracle = repoRoot.appendingPathComponent("Tests/Fixtures/plan_edit_oracle.py").path

    static func oracle(_ args: [String]) async throws -> JSONObject {
        let r = try await run(ReportTests.python, [oracle] + args)
        guard r.status == 0, let o = try? JSONParser.parse(r.out).objectValue else { throw Browser.Failure(description: "oracle \(args.first ?? ""): \(r.err) \(r.out)") }
        return o
    }

    static func save(_ s: TestServer, plan: Int64, _ dir: TempDir, _ name: String) async throws -> String {
        let r = try await s.call("/api/plans/\(plan)/grids", role: .planner)
        #expect(r.status == 200, "\(r.text)")
        let path = dir.path(name)
        try r.body.write(to: URL(fileURLWithPath: path))
        return path
    }

    static func newPlan(_ s: TestServer, _ name: String) async throws -> Int64 {
        let made = try await s.call("POST", "/api/plans", role: .planner, json: #"{"name": "\#(name)"}"#)
        guard made.status == 201, case .integer(let id)? = made.object["id"] else { throw Browser.Failure(description: made.text) }
        return id
    }

    /// Where a WGS84 position is on the screen (viewport pixels), the page's datum taken into account.
    static func screen(_ b: Browser, _ p: Position, gcj: Bool) async throws -> (x: Double, y: Double) {
        let q = gcj ? try ChinaOffset.wgs84ToGCJ02(p) : p
        let v = try await b.run("""
            const r = document.getElementById('map').getBoundingClientRect();
            const c = wangge.map.latLngToContainerPoint([\(q.lat), \(q.lon)]);
            return [r.left + c.x, r.top + c.y];
            """).arrayValue ?? []
        guard v.count == 2, let x = v[0].doubleValue, let y = v[1].doubleValue else { throw Browser.Failure(description: "no screen point") }
        return (x, y)
    }

    static func problemsOnPage(_ b: Browser) async throws -> [String] {
        (try await b.run("return [...document.querySelectorAll('#plan-problems li')].map((li) => li.textContent)").arrayValue ?? []).compactMap(\.stringValue)
    }

    static func problemsOfAPI(_ s: TestServer, plan: Int64) async throws -> [String] {
        let v = try await s.call("/api/plans/\(plan)/validation", role: .planner).object
        return (v["features"]?.arrayValue ?? []).compactMap { f in
            guard let p = f.objectValue?["properties"]?.objectValue else { return nil }
            let codes = (p["grid_ids"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
            return "\(p["problem"]?.stringValue ?? "") \(codes): \(p["detail"]?.stringValue ?? "")"
        }
    }

    @Test(arguments: [(StoreKind.spatialite, true), (StoreKind.postgis, false)])
    func aPlannerDragsASharedVertexUndoesAndSplits(_ kind: StoreKind, _ gcj: Bool) async throws {
        let basemap = gcj ? Basemap(url: "http://127.0.0.1:9/{z}/{x}/{y}.png", datum: .gcj02, attribution: "unreachable") : nil
        let s = try await TestServer(kind: kind, basemap: basemap)
        defer { s.stop() }
        let plan = try await Self.newPlan(s, "editor")
        let dir = TempDir()
        let before = try await Self.save(s, plan: plan, dir, "before.json")
        let picked = try await Self.oracle(["pick", before])
        let vertex = picked["vertex"]?.arrayValue?.compactMap(\.doubleValue) ?? []
        let holders = (picked["grids"]?.arrayValue ?? []).compactMap(\.stringValue)
        guard vertex.count == 2, holders.count >= 2 else { throw Browser.Failure(description: "no shared vertex inside the plan: \(picked)") }

        let b = try await Browser()
        do {
            try await b.signIn(s.base, token: s.tokens[.planner]!, path: "/map?plan=\(plan)")
            try await b.wait(for: "return document.body.dataset.planOpen === '\(plan)' && document.querySelectorAll('path.wg-plan-grid').length > 0", "the plan drawn")
            #expect(try await Self.problemsOnPage(b) == (try await Self.problemsOfAPI(s, plan: plan)))
            let q = gcj ? try ChinaOffset.wgs84ToGCJ02(Position(vertex[0], vertex[1])) : Position(vertex[0], vertex[1])
            try await b.run("wangge.map.setView([\(q.lat), \(q.lon)], 17, { animate: false }); return true")
            // The handle drawn for the vertex: the one nearest its place on the screen, held by the three grids.
            let at = try await Self.screen(b, Position(vertex[0], vertex[1]), gcj: gcj)
            let handle = try await b.wait(for: """
                let best = null;
                for (const e of document.querySelectorAll('.wg-vertex')) {
                  const r = e.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
                  const d = Math.hypot(x - \(at.x), y - \(at.y));
                  if (!best || d < best[2]) best = [x, y, d, +e.dataset.grids];
                }
                return best && best[2] < 3 ? best : null;
                """, "the vertex's handle").arrayValue?.compactMap(\.doubleValue) ?? []
            #expect(handle.count == 4 && Int(handle[3]) == holders.count, "\(handle)")
            _ = try MapPageTests.keep(try await b.screenshot(), "plan-editor-before.png")

            // Drag it 24 px right and 16 px down, as a person would.
            try await b.drag(x: handle[0], y: handle[1], dx: 24, dy: 16)
            try await b.wait(for: "return document.body.dataset.edits === '1' || document.body.dataset.refused", "the drag saved")
            let said = try await b.run("return document.getElementById('edit-status').textContent")
            #expect(try await b.run("return document.body.dataset.refused || null") == .null, "\(said)")
            let moved = try await Self.save(s, plan: plan, dir, "moved.json")
            let check = try await Self.oracle(["check", before, moved])
            let from = check["from"]?.arrayValue ?? [], to = check["to"]?.arrayValue ?? []
            #expect(from.count == 1 && to.count == 1, "one vertex went, one came: \(check)")
            #expect(check["held_before"]?.arrayValue?.compactMap(\.stringValue) == holders, "\(check)")
            #expect(check["hold_after"]?.arrayValue?.compactMap(\.stringValue) == holders, "every grid moved it, by the same amount: \(check)")
            #expect(check["still_hold_old"]?.arrayValue?.isEmpty == true && check["changed"]?.arrayValue?.compactMap(\.stringValue) == holders, "\(check)")
            // A 30 m drag that left a neighbour behind would open hundreds of m²; noding moves a
            // line by at most 2 cm (hundredths of a m² here).
            #expect((check["overlap_m2"]?.doubleValue ?? 1) < 0.01 && (check["gap_m2"]?.doubleValue ?? 1) < 0.5
                    && (check["elsewhere_mean_width_m"]?.doubleValue ?? 1) < 0.02, "no overlap, no gap: \(check)")
            // Where it went: the drag's 24 × 16 px, less Leaflet's 3 px before a press becomes a drag.
            if let w = to.first?.arrayValue?.compactMap(\.doubleValue), w.count == 2 {
                let there = try await Self.screen(b, Position(w[0], w[1]), gcj: gcj)
                #expect(abs(there.x - handle[0] - 24) < 4 && abs(there.y - handle[1] - 16) < 4, "\(there) from \(handle)")
            }
            // The page shows what the server computed: its problems, the changed grids' households.
            #expect(try await Self.problemsOnPage(b) == (try await Self.problemsOfAPI(s, plan: plan)))
            let listed = (try await b.run("return [...document.querySelectorAll('#edit-changed li')].map((li) => li.dataset.gridId + ' ' + li.textContent)").arrayValue ?? []).compactMap(\.stringValue)
            let grids = try connect(s.db).grids.planGrids(id: plan)
            #expect(listed.count == holders.count && holders.allSatisfy { code in
                listed.contains { $0.hasPrefix(code) && $0.contains(" \(grids.first { $0.code == code }!.effectiveHouseholds) 户") }
            }, "\(listed)")
            _ = try MapPageTests.keep(try await b.screenshot(), "plan-editor-moved.png")

            // Undo: the plan as it was.
            try await b.click("#edit-undo")
            try await b.wait(for: "return document.body.dataset.edits === '2'", "the undo saved")
            let undone = try await Self.oracle(["same", before, try await Self.save(s, plan: plan, dir, "undone.json")])
            #expect(undone["differ"]?.arrayValue?.isEmpty == true, "\(undone)")

            // A split drawn across one of the grids, then the same line through the API on a new plan.
            let target = holders[0]
            let line = try await Self.oracle(["split_line", before, target])["line"]?.arrayValue?.compactMap { $0.arrayValue?.compactMap(\.doubleValue) } ?? []
            #expect(line.count == 2)
            let west = Position(line[0][0], line[0][1]), east = Position(line[1][0], line[1][1])
            let (w, e) = gcj ? (try ChinaOffset.wgs84ToGCJ02(west), try ChinaOffset.wgs84ToGCJ02(east)) : (west, east)
            try await b.run("wangge.map.fitBounds([[\(w.lat), \(w.lon)], [\(e.lat), \(e.lon)]], { animate: false, padding: [60, 60] }); return true")
            try await b.run("document.querySelector('input[name=edit-mode][value=split]').click(); return true")
            for p in [west, east] {
                let c = try await Self.screen(b, p, gcj: gcj)
                try await b.drag(x: c.x, y: c.y)
            }
            try await b.wait(for: "return wangge.editor.splitPoints.length === 2", "the line's two points")
            _ = try MapPageTests.keep(try await b.screenshot(), "plan-editor-split-line.png")
            try await b.click("#edit-split-done")
            try await b.wait(for: "return document.body.dataset.edits === '3' || document.body.dataset.refused", "the split saved")
            let told = try await b.run("return document.getElementById('edit-status').textContent")
            #expect(try await b.run("return document.body.dataset.refused || null") == .null, "\(told)")
            let sent = try await b.run("return JSON.stringify(wangge.editor.lastBody)").stringValue ?? ""
            #expect(sent.contains("\"grid_id\":\"\(target)\""), "\(sent)")
            let other = try await Self.newPlan(s, "the same split")
            let r = try await s.call("POST", "/api/plans/\(other)/operations", role: .planner, json: sent)
            #expect(r.status == 200 && (r.object["changed"]?.arrayValue?.count ?? 0) >= 2, "\(r.text)")
            let compared = try await Self.oracle(["same", try await Self.save(s, plan: plan, dir, "split.json"), try await Self.save(s, plan: other, dir, "api.json")])
            #expect(compared["differ"]?.arrayValue?.isEmpty == true && compared["grids"]?.integerValue == Int64(grids.count + (r.object["changed"]?.arrayValue?.count ?? 1) - 1), "\(compared)")
            #expect(try await Self.problemsOnPage(b) == (try await Self.problemsOfAPI(s, plan: plan)))
            _ = try MapPageTests.keep(try await b.screenshot(), "plan-editor-split.png")
            let timings = try await b.run("return wangge.editor.timings").arrayValue?.compactMap(\.integerValue) ?? []
            print("plan editor round trips (\(kind), debug build): \(timings) ms")
            let errors = try await b.console().filter { $0.level == "SEVERE" && !$0.message.contains("127.0.0.1:9") }
            #expect(errors.isEmpty, "\(errors)")
            await b.close()
        } catch {
            if let png = try? await b.screenshot() { _ = try? MapPageTests.keep(png, "plan-editor-failed.png") }
            await b.close()
            throw error
        }
    }

    /// A viewer sees the plan drawn, with no tools and no vertex handles.
    @Test func aViewerSeesThePlanReadOnly() async throws {
        let s = try await TestServer(kind: .spatialite)
        defer { s.stop() }
        let plan = try await Self.newPlan(s, "seen")
        let b = try await Browser()
        do {
            try await b.signIn(s.base, token: s.tokens[.viewer]!, path: "/map?plan=\(plan)")
            try await b.wait(for: "return document.body.dataset.planOpen === '\(plan)'", "the plan drawn")
            let grids = try connect(s.db).grids.planGrids(id: plan).count
            #expect(try await b.run("return document.querySelectorAll('path.wg-plan-grid').length").integerValue == Int64(grids))
            try await b.run("wangge.map.setZoom(17, { animate: false }); return true")
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await b.run("return [document.querySelectorAll('.wg-vertex').length, document.querySelector('#plan-editor .edit-tools').hidden]") == [0, true])
            await b.close()
        } catch {
            await b.close()
            throw error
        }
    }
}
