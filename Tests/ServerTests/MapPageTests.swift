import Foundation
import Testing
import Geo
@testable import Cases
@testable import Grid
@testable import Server

/// `/map` in headless Chromium against a real server: what is drawn, what the header says, what
/// arrives live, what a click shows, and a clean console.
@Suite(.serialized) struct MapPageTests {
    static let open = ["reported", "assigned", "accepted", "mediating", "escalated"]

    /// The screenshot kept from the main test (`.build/test-artifacts/map.png`).
    static func keep(_ png: Data, _ name: String) throws -> URL {
        let dir = repoRoot.appendingPathComponent(".build/test-artifacts")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try png.write(to: url)
        return url
    }

    static func percent(_ v: JSONValue?) -> String {
        guard let x = v?.doubleValue else { return "–" }
        return String(format: "%.1f%%", x * 100)
    }

    @Test(arguments: StoreKind.allCases) func theMapDrawsTheCountyAndFollowsCasesLive(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let b = try await Browser()
        do {
            try await check(s, b)
            await b.close()
        } catch {
            if let png = try? await b.screenshot() { _ = try? Self.keep(png, "map-failed.png") }
            await b.close()
            throw error
        }
    }

    /// Close up (zoom 17 and more) the page draws the view areas of the cameras in sight, as the
    /// `camera_views` collection has them; further out, none.
    @Test(arguments: StoreKind.allCases) func cameraViewsAreDrawnCloseUp(_ kind: StoreKind) async throws {
        let s = try await SharedServer.instance.get(kind)
        let b = try await Browser()
        do {
            try await b.signIn(s.base, token: s.tokens[.viewer]!)
            _ = try await b.wait(for: "return document.body.dataset.ready === 'true'", "the map ready")
            #expect(try await b.run("return document.querySelectorAll('path.wg-camera-view').length").integerValue == 0)
            let camera = try #require(tinyDemo.result.cameras.first { $0.view != nil && $0.kind == .tianwang })
            _ = try await b.run("wangge.map.setView([\(camera.position.lat), \(camera.position.lon)], 17); return true;")
            _ = try await b.wait(for: "return document.querySelectorAll('path.wg-camera-view').length > 0", "camera views drawn")
            let drawn = try await b.run("return document.querySelectorAll('path.wg-camera-view').length").integerValue ?? 0
            let bounds = try await b.run("const b = wangge.map.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].join(',');").stringValue ?? ""
            let served = try await s.call("/collections/camera_views/items?limit=2000&bbox=\(bounds)", role: .viewer)
            #expect(drawn == served.object["numberReturned"]?.integerValue && drawn > 0, "\(drawn) drawn")
            _ = try Self.keep(try await b.screenshot(), "camera-views.png")
            await b.close()
        } catch {
            await b.close()
            throw error
        }
    }

    /// A layer published from the CLI while the page is open: the page draws the new grids from
    /// the live feed, without reloading.
    @Test(arguments: StoreKind.allCases) func theMapRedrawsANewLayerWithoutReloading(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let b = try await Browser()
        do {
            try await b.signIn(s.base, token: s.tokens[.viewer]!)
            let grids = try connect(s.db).grids.grids()
            _ = try await b.wait(for: "return document.querySelectorAll('path.wg-grid').length === \(grids.count)", "the grids drawn")
            _ = try await b.run("window.notReloaded = true; return true;")
            let old = grids[grids.count / 2].code
            let into = try await mergeFromTheCLI(s, old)
            _ = try await b.wait(for: "return document.body.dataset.layerVersion === '2'", seconds: 120, "the new layer taken")
            let after = try await b.run("""
                return { reloaded: !window.notReloaded, count: document.querySelectorAll('path.wg-grid').length,
                         old: !!document.querySelector('path.wg-grid[data-grid-id="\(old)"]'),
                         into: !!document.querySelector('path.wg-grid[data-grid-id="\(into)"]') };
                """).objectValue ?? JSONObject()
            #expect(after["reloaded"] == .bool(false))
            #expect(after["count"]?.integerValue == Int64(grids.count - 1) && after["old"] == .bool(false) && after["into"] == .bool(true), "\(after)")
            _ = try Self.keep(try await b.screenshot(), "map-new-layer.png")
            await b.close()
        } catch {
            if let png = try? await b.screenshot() { _ = try? Self.keep(png, "map-new-layer-failed.png") }
            await b.close()
            throw error
        }
    }

    private func check(_ s: TestServer, _ b: Browser) async throws {
        try await b.signIn(s.base, token: s.tokens[.dispatcher]!)
        let store = try connect(s.db).grids
        let grids = try store.grids()
        let towns = try store.boundaries().filter { $0.level == .town }
        let cameras = try store.cameras()
        let openCases = try await s.call("/api/cases?limit=1000&status=\(Self.open.joined(separator: ","))", role: .dispatcher)
            .object["number_matched"]?.integerValue

        // One path per grid (each tagged with its code), per town, per open case; no basemap tiles.
        let drawn = try await b.run("""
            return { grids: [...document.querySelectorAll('path.wg-grid')].map(e => e.dataset.gridId),
                     towns: document.querySelectorAll('path.wg-town').length,
                     cases: document.querySelectorAll('path.wg-case').length,
                     tiles: document.querySelectorAll('img.leaflet-tile').length,
                     cameras: document.querySelectorAll('path.wg-camera').length,
                     clustered: [...document.querySelectorAll('.marker-cluster span')].reduce((n, e) => n + Number(e.textContent), 0),
                     clusters: document.querySelectorAll('.marker-cluster').length };
            """).objectValue ?? JSONObject()
        let drawnGrids = drawn["grids"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(drawnGrids.count == grids.count && Set(drawnGrids) == Set(grids.map(\.code)))
        #expect(drawn["towns"]?.integerValue == Int64(towns.count))
        #expect(drawn["cases"]?.integerValue == openCases && (openCases ?? 0) > 0)
        #expect(drawn["tiles"]?.integerValue == 0)
        // Cameras are clustered at the county's zoom: the clusters and single markers add up.
        #expect((drawn["clusters"]?.integerValue ?? 0) > 0)
        #expect((drawn["clustered"]?.integerValue ?? 0) + (drawn["cameras"]?.integerValue ?? 0) == Int64(cameras.count))

        // The header: the county's figures as the API gives them.
        func header() async throws -> [String: String] {
            let v = try await b.run("""
                const o = {}; for (const id of ['fig-received-today', 'fig-open', 'fig-success', 'fig-closure'])
                  o[id] = document.getElementById(id).textContent; return o;
                """)
            return Dictionary(uniqueKeysWithValues: (v.objectValue?.members ?? []).map { ($0.key, $0.value.stringValue ?? "") })
        }
        let year = try await s.call("/api/stats", role: .viewer).object["figures"]?.arrayValue?.first?.objectValue ?? JSONObject()
        var h = try await header()
        #expect(h["fig-open"] == String(openCases ?? -1))
        #expect(h["fig-success"] == Self.percent(year["success_rate"]) && h["fig-closure"] == Self.percent(year["closure_rate"]))
        let receivedToday = try #require(Int(h["fig-received-today"] ?? ""))
        #expect(receivedToday == 30)   // the test server's disputes were all taken today

        // A dispute posted by another client appears live, and the header counts it.
        let home = try #require(try store.households().first)
        let made = try await s.call("POST", "/api/cases", role: .dispatcher,
                                    json: #"{"category":"land","description":"boundary stones","household_id":\#(home.id)}"#)
        #expect(made.status == 201)
        let id = try #require(made.object["id"]?.integerValue)
        try await b.wait(for: "return document.querySelector('path.wg-case[data-case-id=\"\(id)\"]') !== null", "case \(id) on the map")
        try await b.wait(for: "return document.getElementById('fig-received-today').textContent === '\(receivedToday + 1)'", "the header's count")
        h = try await header()
        #expect(h["fig-open"] == String((openCases ?? 0) + 1))

        // Click the case: its timeline; reassign it to the grid's other worker from the popup.
        try await b.click("path.wg-case[data-case-id=\"\(id)\"]")
        try await b.wait(for: "return document.querySelector('.wg-case-popup ol.timeline li') !== null", "the case's timeline")
        let timeline = try await b.run("return [...document.querySelectorAll('.wg-case-popup ol.timeline li')].map(e => e.textContent)")
        #expect((timeline.arrayValue?.count ?? 0) >= 1)
        let grid = try #require(made.object["grid_id"]?.stringValue)
        let duty = try await s.call("/api/grids/\(grid)/duty", role: .dispatcher).object
        let assignee = made.object["assignee"]?.objectValue?["worker_id"]?.integerValue
        let eventsBefore = try await s.call("/api/cases/\(id)", role: .dispatcher).object["events"]?.arrayValue?.count ?? 0
        let other = try #require(duty["workers"]?.arrayValue?.compactMap { $0.objectValue?["worker_id"]?.integerValue }.first { $0 != assignee })
        try await b.run("document.querySelector('.wg-case-popup select[name=worker]').value = 'worker:\(other)'")
        try await b.click(".wg-case-popup form.reassign button[type=submit]")
        try await b.wait(for: "return /assigned to/.test(document.querySelector('.wg-case-popup form.reassign p').textContent)", "the reassignment")
        let after = try await s.call("/api/cases/\(id)", role: .dispatcher).object
        #expect(after["assignee"]?.objectValue?["worker_id"]?.integerValue == other)
        let events = after["events"]?.arrayValue ?? []
        #expect(events.count == eventsBefore + 1 && events.last?.objectValue?["to"]?.stringValue == "assigned")

        // A grid's popup: code, households, who is on duty, open cases.
        let g = try #require(grids.first { $0.code == grid })
        try await b.run("""
            const l = window.wangge.grids.getLayers().find(l => l.feature.properties.grid_id === '\(grid)');
            l.fire('click', { latlng: l.getCenter() });
            """)
        let popup = try await b.wait(for: "const p = document.querySelector('.wg-grid-popup'); return p && /on duty/.test(p.textContent) ? p.textContent : null",
                                     "the grid's popup").stringValue ?? ""
        #expect(popup.contains(grid) && popup.contains(String(g.effectiveHouseholds)))
        if let onDuty = duty["on_duty"]?.objectValue?["name"]?.stringValue { #expect(popup.contains(onDuty)) }

        // The case is resolved elsewhere: it leaves the map.
        for to in ["accepted", "mediating", "resolved"] {
            #expect(try await s.call("POST", "/api/cases/\(id)/transitions", role: .dispatcher, json: #"{"to":"\#(to)"}"#).status == 200)
        }
        try await b.wait(for: "return document.querySelector('path.wg-case[data-case-id=\"\(id)\"]') === null", "case \(id) to leave the map")

        let errors = try await b.console().filter { $0.level == "SEVERE" }
        #expect(errors.isEmpty, "\(errors)")
        let shot = try Self.keep(try await b.screenshot(), "map.png")
        #expect(try Data(contentsOf: shot).starts(with: [0x89, 0x50, 0x4E, 0x47]))
    }

    @Test(arguments: StoreKind.allCases) func aPlannerSeesAPlansProblemsOnTheMap(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let grid = try #require(try connect(s.db).grids.grids().first)
        let plan = try #require(try await s.call("POST", "/api/plans", role: .planner, json: #"{"name":"too big"}"#).object["id"]?.integerValue)
        #expect(try await s.call("POST", "/api/plans/\(plan)/operations", role: .planner,
                                 json: #"{"op":"override","grid_id":"\#(grid.code)","households":900}"#).status == 200)
        let problems = try await s.call("/api/plans/\(plan)/validation", role: .planner).object["features"]?.arrayValue ?? []
        #expect(!problems.isEmpty)
        let b = try await Browser()
        do {
            try await b.signIn(s.base, token: s.tokens[.planner]!, path: "/map?plan=\(plan)")
            let drawn = try await b.wait(for: "const n = document.querySelectorAll('path.wg-problem').length; return n > 0 ? n : null", "the plan's problems")
            #expect(drawn.integerValue == Int64(problems.count))
            let summary = try await b.run("return document.getElementById('plan-summary').textContent").stringValue ?? ""
            #expect(summary.hasPrefix("\(problems.count) problem") && summary.contains("outside_band"))
            let errors = try await b.console().filter { $0.level == "SEVERE" }
            #expect(errors.isEmpty, "\(errors)")
            await b.close()
        } catch {
            await b.close()
            throw error
        }
    }

    /// A GCJ-02 basemap that cannot be reached: the page still draws everything, shifted onto
    /// GCJ-02 like the basemap would be, and says the basemap is missing.
    /// Field work on the map: every role colours grids by today's patrol coverage; dispatchers see
    /// workers' last positions and, on a click, the worker's track of today.
    @Test(arguments: StoreKind.allCases) func dispatchersSeeWorkersAndTheirTracks(_ kind: StoreKind) async throws {
        try await ChinaDay.room(for: 1200)
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let me = s.workerID
        let grid = try #require(try connect(s.db).grids.grids().first { $0.code == (try connect(s.db).grids.grids(ofWorker: me)).first })
        let p = grid.polygon.exterior[0]
        let up = try await s.call("POST", "/api/workers/\(me)/tracks", role: .worker, body: Data(FieldTests.gpx(60, from: Date() - 1200, at: p).utf8),
                                  headers: ["Content-Type": "application/gpx+xml"])
        #expect(up.status == 201, "\(up.text)")
        let here = #"{"lon": \#(p.lon), "lat": \#(p.lat + 0.005)}"#
        #expect(try await s.call("POST", "/api/workers/\(me)/position", role: .worker, body: Data(here.utf8), headers: ["Content-Type": "application/json"]).status == 200)
        let b = try await Browser()
        do {
            try await b.signIn(s.base, token: s.tokens[.dispatcher]!)
            _ = try await b.wait(for: "return document.body.dataset.ready === 'true'", "the map ready")
            #expect(try await b.run("return document.querySelectorAll('path.wg-worker').length").integerValue == 1)
            _ = try await b.run("document.querySelector('input[value=patrol]').click(); return true;")
            let legend = try await b.run("return document.getElementById('legend').textContent").stringValue ?? ""
            let grids = try connect(s.db).grids.grids().count
            #expect(legend.contains("半日1巡 0 of \(grids) grids"), "\(legend)")
            _ = try await b.run("wangge.workerLayer.getLayers()[0].fire('click'); return true;")
            _ = try await b.wait(for: "return document.querySelectorAll('path.wg-track').length === 1", "the worker's track drawn")
            let popup = try await b.run("return document.querySelector('.leaflet-popup-content').textContent").stringValue ?? ""
            #expect(popup.contains("60 fixes"), "\(popup)")
            _ = try Self.keep(try await b.screenshot(), "map-field.png")
            await b.close()
        } catch {
            if let png = try? await b.screenshot() { _ = try? Self.keep(png, "map-field-failed.png") }
            await b.close()
            throw error
        }
        // A viewer: the coverage colours, no workers.
        let v = try await Browser()
        do {
            try await v.signIn(s.base, token: s.tokens[.viewer]!)
            _ = try await v.wait(for: "return document.body.dataset.ready === 'true'", "the map ready")
            #expect(try await v.run("return document.querySelectorAll('path.wg-worker').length + (window.wangge.patrol.size > 0 ? 0 : 100)").integerValue == 0)
            await v.close()
        } catch {
            await v.close()
            throw error
        }
    }

    @Test(arguments: StoreKind.allCases) func anUnreachableGCJ02BasemapLeavesAWorkingPage(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind, basemap: Basemap(url: "http://127.0.0.1:9/{z}/{x}/{y}.png", datum: .gcj02, attribution: "unreachable"))
        defer { s.stop() }
        let grid = try #require(try connect(s.db).grids.grids().first)
        let b = try await Browser()
        do {
            try await b.signIn(s.base, token: s.tokens[.viewer]!)
            let count = try await b.run("return document.querySelectorAll('path.wg-grid').length")
            #expect(count.integerValue == Int64(try connect(s.db).grids.grids().count))
            try await b.wait(for: "return /basemap unreachable/.test(document.getElementById('notice').textContent)", "the basemap notice")
            // The grid as drawn is where the API puts it in GCJ-02, not where it is in WGS84.
            let drawn = try await b.run("""
                const l = window.wangge.grids.getLayers().find(l => l.feature.properties.grid_id === '\(grid.code)');
                const b = l.getBounds(); return [b.getWest(), b.getSouth()];
                """).arrayValue?.compactMap(\.doubleValue) ?? []
            let gcj = try #require(try await s.call("/collections/grids/items/\(grid.code)?crs=GCJ-02", role: .viewer).json)
            let feature = try GeoJSONReader().document(gcj).features.first
            let want = try #require(feature?.geometry?.boundingBox)
            let wgs = try #require(Geometry.polygon(grid.polygon).boundingBox)
            #expect(drawn.count == 2 && abs(drawn[0] - want.minLon) < 1e-9 && abs(drawn[1] - want.minLat) < 1e-9, "\(drawn) vs \(want)")
            #expect(abs(want.minLon - wgs.minLon) > 1e-3)   // GCJ-02 is hundreds of metres off here
            // Only the basemap's tiles failed.
            let errors = try await b.console().filter { $0.level == "SEVERE" }
            #expect(errors.allSatisfy { $0.message.contains("127.0.0.1:9/") }, "\(errors)")
            await b.close()
        } catch {
            await b.close()
            throw error
        }
    }
}
