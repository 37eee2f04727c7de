import Cases
import Foundation
import Geo
import Grid
import Testing

/// The grid worker's phone page (`/m`) in real Chromium with a phone's screen, touch and a
/// geolocation set through DevTools, against a real server.
@Suite(.serialized) struct MobilePageTests {
    /// A point well inside the worker's first grid, and the grid (GEOS says the walk stays in it).
    static func place(_ s: TestServer) throws -> (grid: Grid, at: Position) {
        let db = try connect(s.db).grids
        let mine = try db.grids(ofWorker: s.workerID)
        let grid = try #require(try db.grids().first { $0.code == mine.first })
        let ctx = GEOSContext()
        let shape = try ctx.shape(.polygon(grid.polygon))
        let inner = try shape.buffer(-0.0006)
        guard case .point(let p) = try (inner.isEmpty ? shape : inner).pointOnSurface().geometry else { throw Browser.Failure(description: "no point in the grid") }
        return (grid, p)
    }

    /// Takes a case at `p` and gives it to the worker, as a dispatcher would.
    static func assignedCase(_ s: TestServer, at p: Position, worker: Int64, _ text: String) async throws -> Int64 {
        let made = try await s.call("POST", "/api/cases", role: .dispatcher,
                                    json: #"{"category":"neighbour","description":"\#(text)","location":{"type":"Point","coordinates":[\#(p.lon),\#(p.lat)]},"parties":[{"name":"张三","phone":"13800138000"}]}"#)
        let id = try #require(made.object["id"]?.integerValue, "\(made.text)")
        let moved = try await s.call("POST", "/api/cases/\(id)/transitions", role: .dispatcher, json: #"{"to":"assigned","target":"worker:\#(worker)"}"#)
        #expect(moved.status == 200, "\(moved.text)")
        return id
    }

    static func steps(_ s: TestServer, _ id: Int64) async throws -> [(to: String, actor: String)] {
        let c = try await s.call("/api/cases/\(id)", role: .dispatcher).object
        return (c["events"]?.arrayValue ?? []).compactMap { e in
            guard let o = e.objectValue, o["action"]?.stringValue == "transition", let to = o["to"]?.stringValue else { return nil }
            return (to, o["actor"]?.stringValue ?? "")
        }
    }

    @Test(arguments: StoreKind.allCases) func aWorkerHandlesCasesReportsAndPatrolsFromThePhone(_ kind: StoreKind) async throws {
        try await ChinaDay.room(for: 17 * 60)
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let me = s.workerID
        let (grid, p) = try Self.place(s)
        let b = try await Browser(mobile: true)
        do {
            try await b.devTools("Browser.grantPermissions", JSONObject([("permissions", ["geolocation"]), ("origin", .string(s.base))]))
            try await b.locate(p)
            try await b.signIn(s.base, token: s.tokens[.worker]!, path: "/m")
            #expect(try await b.run("return [innerWidth, 'ontouchstart' in window]") == [390, true])

            // A case given to the worker a moment ago shows, marked new, without a reload (the time it
            // takes is printed, not asserted: a full run on two cores is noisy; alone it is well under 2 s).
            let first = try await Self.assignedCase(s, at: p, worker: me, "楼上漏水 water through the ceiling")
            let given = Date()
            try await b.wait(for: "return document.querySelector('#cases li.new[data-case=\"\(first)\"]') !== null", seconds: 20, "the new case")
            print("a new case on the phone \(String(format: "%.2f", Date().timeIntervalSince(given))) s after it was assigned (\(kind))")
            _ = try MapPageTests.keep(try await b.screenshot(), "m-cases.png")

            // Accept, then resolve with a note: real transitions, by the worker.
            try await b.click("#cases li[data-case=\"\(first)\"]")
            try await b.wait(for: "return document.querySelector('#steps button[data-step=accepted]') !== null", "the steps")
            let parties = try await b.run("return document.getElementById('case-parties').textContent").stringValue ?? ""
            #expect(parties.contains("13800138000"), "\(parties)")
            try await b.wait(for: "return document.getElementById('case-map').querySelectorAll('path').length >= 2", "the small map: the case and its grid")
            _ = try MapPageTests.keep(try await b.screenshot(), "m-case.png")
            try await b.click("#steps button[data-step=accepted]")
            try await b.wait(for: "return document.getElementById('case').dataset.status === 'accepted' && document.querySelector('#steps button[data-step=resolved]') !== null", "accepted")
            try await b.type("#step-note", "双方达成协议 agreed to repair")
            try await b.click("#steps button[data-step=resolved]")
            try await b.wait(for: "return document.getElementById('case').dataset.status === 'resolved'", "resolved")
            let done = try await Self.steps(s, first)
            #expect(done.map(\.to) == ["assigned", "accepted", "resolved"], "\(done)")
            #expect(done.suffix(2).allSatisfy { $0.actor.hasPrefix("worker:") }, "\(done)")

            // A report at the phone's position lands in the grid the point is in.
            try await b.click("nav#tabs button[data-tab=report]")
            try await b.type("#report-description", "路灯不亮 street light out")
            // With two photos, one a phone camera's (4000 × 3000, EXIF rotation and GPS): shrunk on
            // the phone, sent after the case in order, kept upright and without metadata.
            let photos = TempDir()
            try await ResidentsTests.photos(in: photos)
            try await b.type("#report-photo", photos.path("gps.jpg") + "\n" + photos.path("clear.png"))
            try await b.click("#report button[type=submit]")
            let reported = try await b.wait(for: "return document.getElementById('report-result').dataset.caseId || null", "the report's answer")
            let rid = try #require(Int64(reported.stringValue ?? ""))
            let r = try await s.call("/api/cases/\(rid)", role: .dispatcher).object
            #expect(r["grid_id"]?.stringValue == grid.code && r["channel"]?.stringValue == "patrol", "\(r)")
            try await b.wait(for: "return document.getElementById('report-result').dataset.photos === '2'", "the photos' answers")
            let kept = try s.store().cases.photos(caseID: rid)
            #expect(kept.map { [$0.width, $0.height] } == [[1200, 1600], [800, 600]], "\(kept.map { ($0.width, $0.height) })")
            let stripped = try await ResidentsTests.inspect(kept.first?.bytes ?? [], photos)
            #expect(stripped["exif"]?.integerValue == 0 && stripped["gps"]?.integerValue == 0, "\(stripped)")

            // A 15-minute patrol, one fix every 30 s (the page's clock set for each), walking a
            // 40 m square inside the grid: every position arrives, in order, and the track shows a pass.
            let feed = try EventStream(s, role: .dispatcher)
            try await b.click("nav#tabs button[data-tab=patrol]")
            try await b.click("#patrol-toggle")
            let start = (Date() - 17 * 60).timeIntervalSince1970.rounded(.down)
            let shape = try GEOSContext().shape(.polygon(grid.polygon))
            var times: [Double] = []
            for k in 0...30 {
                let corner = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)][(k / 4) % 4]
                let q = Position(p.lon + 0.0004 * corner.0 + 0.00002 * Double(k % 4), p.lat + 0.0004 * corner.1)
                #expect(shape.covers(try GEOSContext().shape(.point(q))))
                let at = (start + Double(k) * 30) * 1000
                try await b.run("wangge.clock = () => \(Int64(at)); return true")
                try await b.locate(q)
                try await b.wait(for: "return wangge.fixCount >= \(k + 1)", seconds: 10, "fix \(k)")
                times.append(at / 1000)
            }
            try await b.click("#patrol-toggle")
            try await b.wait(for: "return wangge.outbox.items.length === 0", seconds: 60, "the patrol sent")
            let last = ChinaTime.text(Date(timeIntervalSince1970: times.last!))
            let text = try await feed.until(60) { $0.contains(last) }
            let seen = text.components(separatedBy: "\n\n").filter { $0.contains("event: position") && $0.contains("\"worker_id\":\(me)") }
                .compactMap { block in block.split(separator: "\n").first { $0.hasPrefix("data: ") }.flatMap { line in
                    (try? JSONParser.parse(Array(line.dropFirst(6).utf8)))?.objectValue?["at"]?.stringValue } }
            #expect(seen == seen.sorted() && Set(seen).count == seen.count && seen.count >= 2 && seen.last == last, "\(seen)")
            let track = try await s.call("/api/workers/\(me)/tracks", role: .worker).object
            let line = track["features"]?.arrayValue?.first?.objectValue?["geometry"]?.objectValue?["coordinates"]?.arrayValue ?? []
            #expect(line.count == 31, "\(line.count) fixes kept of 31")
            let patrol = try await s.call("/api/patrol?by=worker", role: .worker).object
            let row = try #require(patrol["workers"]?.arrayValue?.first?.objectValue)
            #expect((row["passes"]?.integerValue ?? 0) >= 1, "\(row)")
            try await b.wait(for: "return /巡查 Passes[1-9]/.test(document.getElementById('patrol-figures').textContent)", "the day's passes on the page")
            _ = try MapPageTests.keep(try await b.screenshot(), "m-patrol.png")
            // My key households, as the API lists them.
            let keys = try await s.call("/api/workers/\(me)/households", role: .worker).object["households"]?.arrayValue?.count ?? -1
            try await b.click("nav#tabs button[data-tab=households]")
            try await b.wait(for: "return document.querySelectorAll('#households li[data-household]').length === \(keys)", "the \(keys) key households")
            feed.stop()
            await b.close()
        } catch {
            if let png = try? await b.screenshot() { _ = try? MapPageTests.keep(png, "m-failed.png") }
            await b.close()
            throw error
        }
    }

    /// Another role's token on the phone page: told where its page is, shown nothing of a worker's.
    @Test func otherRolesAreSentToTheMap() async throws {
        let s = try await TestServer(kind: .spatialite)
        defer { s.stop() }
        let b = try await Browser(mobile: true)
        do {
            try await b.go(s.base + "/m")
            try await b.wait(for: "return !document.getElementById('signin').hidden", "the sign-in form")
            try await b.type("#token", s.tokens[.dispatcher]!)
            try await b.click("#signin button[type=submit]")
            try await b.wait(for: "return /for grid workers/.test(document.getElementById('message').textContent)", "the message")
            #expect(try await b.run("return document.getElementById('app').hidden && document.querySelectorAll('#cases li').length === 0") == .bool(true))
            await b.close()
        } catch {
            await b.close()
            throw error
        }
    }

    @Test(arguments: StoreKind.allCases) func offlineStepsGoOnceWhenTheNetworkIsBack(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let me = s.workerID
        let (_, p) = try Self.place(s)
        let one = try await Self.assignedCase(s, at: p, worker: me, "邻里噪音 noise")
        let two = try await Self.assignedCase(s, at: p, worker: me, "院墙纠纷 a wall")
        let three = try await Self.assignedCase(s, at: p, worker: me, "土地边界 a field's edge")
        for id in [one, two] { #expect(try await s.call("POST", "/api/cases/\(id)/transitions", role: .worker, json: #"{"to":"accepted"}"#).status == 200) }
        let b = try await Browser(mobile: true)
        do {
            try await b.signIn(s.base, token: s.tokens[.worker]!, path: "/m")
            // Cut off: the step waits, and the page says so.
            try await b.run("wangge.openCase(\(one)); return true")
            try await b.wait(for: "return document.querySelector('#steps button[data-step=resolved]') !== null", "the steps")
            try await b.offline(true)
            try await b.type("#step-note", "已调解 settled")
            try await b.click("#steps button[data-step=resolved]")
            try await b.wait(for: "return !document.getElementById('queue').hidden && /待发送 1/.test(document.getElementById('queue').textContent)", "the waiting step shown")
            // The second case, opened from the list as last seen, taken into mediation offline,
            // while the desk resolves and closes it.
            try await b.click("#case-back")
            try await b.click("#cases li[data-case=\"\(two)\"]")
            try await b.wait(for: "return document.getElementById('case').dataset.caseId === '\(two)' && document.querySelector('#steps button[data-step=mediating]') !== null", "the second case offline")
            try await b.click("#steps button[data-step=mediating]")
            try await b.wait(for: "return /待发送 2/.test(document.getElementById('queue').textContent)", "two steps waiting")
            try await Task.sleep(for: .seconds(1))
            #expect(try await Self.steps(s, one).map(\.to) == ["assigned", "accepted"], "nothing went while offline")
            #expect(try await s.call("POST", "/api/cases/\(two)/transitions", role: .dispatcher, json: #"{"to":"resolved","note":"desk"}"#).status == 200)
            #expect(try await s.call("POST", "/api/cases/\(two)/transitions", role: .dispatcher, json: #"{"to":"closed"}"#).status == 200)
            try await b.offline(false)
            try await b.wait(for: "return wangge.outbox.items.length === 0", seconds: 60, "the queue sent")
            #expect(try await Self.steps(s, one).map(\.to) == ["assigned", "accepted", "resolved"], "sent once")
            // The step no longer allowed: refused, the page shows the new state and sends nothing again.
            #expect(try await Self.steps(s, two).map(\.to) == ["assigned", "accepted", "resolved", "closed"])
            try await b.wait(for: "return /状态已更新/.test(document.getElementById('message').textContent)", "the conflict shown")
            try await b.wait(for: "return document.getElementById('case').dataset.status === 'closed' && document.querySelectorAll('#steps button').length === 0", "the new state")
            // A case of another grid: refused, and the page says why.
            let mine = Set(try connect(s.db).grids.grids(ofWorker: me))
            let other = try #require(try connect(s.db).cases.list(limit: 1000).first { !mine.contains($0.gridCode ?? "") })
            try await b.run("wangge.openCase(\(other.id)); return true")
            try await b.wait(for: "return /不是您网格/.test(document.getElementById('message').textContent)", "the refusal")
            // Opened again with no network at all: the page and the list as last seen.
            try await b.wait(for: "return navigator.serviceWorker.controller !== null", "the page's service worker")
            let listed = try await b.run("return wangge.cases.length").integerValue ?? -1
            #expect(listed >= 1)
            try await b.offline(true)
            try await b.go(s.base + "/m")
            try await b.wait(for: "return document.body.dataset.ready === 'true' && /Offline/.test(document.getElementById('message').textContent)", "the page offline")
            #expect(try await b.run("return document.querySelectorAll('#cases li[data-case]').length").integerValue == listed)
            #expect(try await b.run("return document.querySelector('#cases li[data-case=\"\(three)\"]') !== null") == .bool(true))
            _ = try MapPageTests.keep(try await b.screenshot(), "m-offline.png")
            try await b.offline(false)
            await b.close()
        } catch {
            if let png = try? await b.screenshot() { _ = try? MapPageTests.keep(png, "m-offline-failed.png") }
            await b.close()
            throw error
        }
    }
}
