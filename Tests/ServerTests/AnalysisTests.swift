import Foundation
import Testing
import Geo
@testable import Cases
@testable import Grid
@testable import Server

/// `/api/hotspots` and `/api/warnings` over HTTP, and the map's "风险预警" colouring in Chromium.
@Suite struct AnalysisTests {
    /// Cases rising in one grid over the last 12 whole weeks (k cases in week k), and a cluster of
    /// three related open disputes with three parties (the group threshold is 5).
    func seed(_ s: TestServer) throws -> (grid: String, weekly: [Int], cluster: Int64) {
        let store = try s.store()
        let d = try Dispatcher(store: store)
        let households = try store.grids.households()
        let layer = d.territory.layer
        let today = ChinaTime.date(String(ChinaTime.text(Date()).prefix(10)) + "T00:00:00+08:00")!
        let home = households[11]
        let grid = try #require(layer.grid(at: home.position)).code
        var weekly: [Int] = []
        for week in 0..<12 {
            let start = today - Double(12 - week) * 7 * 86400
            for k in 0..<week {
                _ = try d.intake(IntakeRequest(category: Case.Category.allCases[k % 9], channel: .window, description: "rising",
                                               location: .household(home.id)), actor: clerk, now: start + Double(k) * 3 * 3600 + 3600)
            }
            weekly.append(week)
        }
        // A cluster over the last six weeks: a grid far from the rising one and its neighbours,
        // four cases a week each (a hot spot that emerged: consecutive).
        let adjacency = try GridAdjacency(layer.grids)
        let homeIndex = try #require(layer.grids.firstIndex { $0.code == grid })
        let centre = try #require(layer.grids.indices.first { $0 != homeIndex && !adjacency.neighbours[homeIndex].contains($0)
            && adjacency.neighbours[$0].count >= 3 && !adjacency.neighbours[$0].contains(homeIndex) })
        for g in [centre] + adjacency.neighbours[centre] where g != homeIndex {
            guard let h = households.first(where: { layer.grid(at: $0.position)?.code == layer.grids[g].code }) else { continue }
            for week in 6..<12 {
                let start = today - Double(12 - week) * 7 * 86400
                for k in 0..<4 {
                    _ = try d.intake(IntakeRequest(category: .traffic, channel: .patrol, description: "cluster", location: .household(h.id)),
                                     actor: clerk, now: start + Double(k) * 36 * 3600 + 7200)
                }
            }
        }
        // Three land disputes at one place within hours: related, not yet a group dispute.
        let place = households[40]
        var first: Int64 = 0
        for k in 0..<3 {
            let c = try d.intake(IntakeRequest(category: .property, channel: .window, description: "围墙", location: .household(place.id),
                                               parties: [Party(name: "户主\(k)")]), actor: clerk, now: Date() - Double(3 - k) * 3600)
            if k == 0 { first = c.id }
        }
        return (grid, weekly, first)
    }

    @Test(arguments: StoreKind.allCases) func hotSpotsAndWarningsOverHTTP(_ kind: StoreKind) async throws {
        let s = try await TestServer(kind: kind)
        defer { s.stop() }
        let (grid, weekly, cluster) = try await offPool { try seed(s) }
        let grids = try s.store().grids.grids()
        let midnight = ChinaTime.date(String(ChinaTime.text(Date()).prefix(10)) + "T00:00:00+08:00")!
        let today = String(ChinaTime.text(midnight).prefix(10))
        let from = String(ChinaTime.text(midnight - 84 * 86400).prefix(10))

        let r = try await s.call("/api/hotspots?from=\(from)&to=\(today)&bin=week", role: .viewer)
        #expect(r.status == 200 && r.headers["content-type"] == "application/geo+json")
        let doc = r.object
        let features = doc["features"]?.arrayValue ?? []
        #expect(doc["type"]?.stringValue == "FeatureCollection" && features.count == grids.count)
        #expect(doc["bins"]?.arrayValue?.count == 12)
        let mine = try #require(features.first { $0.objectValue?["id"]?.stringValue == grid }?.objectValue?["properties"]?.objectValue)
        #expect(mine["counts"]?.arrayValue?.compactMap(\.integerValue) == weekly.map(Int64.init))
        #expect(mine["z"]?.arrayValue?.count == 12 && mine["hot"]?.arrayValue?.count == 12)

        // Bad requests: a 400 problem each, saying what.
        for (query, says) in [("from=\(today)&to=\(from)", "before"), ("from=\(from)&to=\(today)&bin=hour", "bin must be"),
                              ("from=2020-01-01&to=\(today)&bin=day", "more than 400"), ("from=2026-02-30&to=\(today)", "must be a date"),
                              ("to=\(today)", "required"), ("from=\(from)&to=\(today)&category=weather", "unknown category"),
                              ("from=\(from)&to=\(today)&x=1", "unknown parameter")] {
            let bad = try await s.call("/api/hotspots?\(query)", role: .viewer)
            #expect(bad.status == 400 && bad.headers["content-type"] == "application/problem+json" && bad.text.contains(says), "\(query): \(bad.text)")
        }
        #expect(try await s.call("/api/hotspots?from=\(from)&to=\(today)").status == 401)
        #expect(try await s.call("/api/hotspots?from=\(from)&to=\(today)", role: .worker).status == 403)

        // An area's token: its own grids only.
        let town = String(grid.prefix(9))
        let token = try Tokens.create(in: try s.store(), name: "town viewer", role: .viewer, area: town).token
        let local = try await s.call("/api/hotspots?from=\(from)&to=\(today)", headers: ["Authorization": "Bearer \(token)"]).object
        let ids = local["features"]?.arrayValue?.compactMap { $0.objectValue?["id"]?.stringValue } ?? []
        #expect(!ids.isEmpty && ids.allSatisfy { $0.hasPrefix(town) } && ids.count == grids.filter { $0.code.hasPrefix(town) }.count)

        // Warnings: the rising grid, and the cluster near a group dispute.
        let w = try await s.call("/api/warnings", role: .viewer)
        #expect(w.status == 200)
        let warnings = w.object["warnings"]?.arrayValue?.compactMap(\.objectValue) ?? []
        #expect(w.object["count"]?.integerValue == Int64(warnings.count))
        let rising = warnings.first { $0["kind"]?.stringValue == "rising" && $0["grid_id"]?.stringValue == grid }
        #expect(rising?["weekly"]?.arrayValue?.compactMap(\.integerValue) == weekly.map(Int64.init), "\(warnings)")
        let group = warnings.first { $0["kind"]?.stringValue == "group_risk" && $0["case_id"]?.integerValue == cluster }
        #expect(group?["cases"]?.integerValue == 3 && group?["parties"]?.integerValue == 3, "\(warnings)")
        // The cluster is an emerging hot spot.
        #expect(warnings.contains { $0["kind"]?.stringValue == "hot_spot" }, "\(warnings)")
        // Viewers see no names in warnings: only counts, codes and grids.
        #expect(!w.text.contains("户主"))
        #expect(try await s.call("/api/warnings?x=1", role: .viewer).status == 400)
    }

    @Test func theMapColoursGridsByPatternAndCountsWarnings() async throws {
        let s = try await TestServer(kind: .spatialite)
        defer { s.stop() }
        _ = try await offPool { try seed(s) }
        let api = try await s.call("/api/warnings", role: .viewer).object
        let b = try await Browser()
        do {
            try await b.signIn(s.base, token: s.tokens[.viewer]!)
            let count = try #require(api["count"]?.integerValue)
            try await b.wait(for: "return document.getElementById('fig-warnings').textContent === '\(count)'", "the header's warnings")
            // Last month's report, from the header.
            let href = try await b.run("const a = document.getElementById('report-link'); return a.hidden ? null : a.getAttribute('href')").stringValue ?? ""
            let lastMonth = ReportMonth(String(ChinaTime.text(Date()).prefix(7)))!.advanced(by: -1)
            #expect(href == "/api/reports/\(lastMonth).pdf")
            let items = try await b.run("return document.querySelectorAll('#warning-list li').length")
            #expect(items.integerValue == min(count, 30))
            try await b.click("input[name=colour][value=risk]")
            let patterns = api["patterns"]?.objectValue?.members ?? []
            #expect(!patterns.isEmpty, "the seeded cluster made no hot spot: \(api)")
            let fills = try await b.run("""
                const out = {}; window.wangge.grids.eachLayer(l => { out[l.feature.properties.grid_id] = l.options.fillColor; }); return out;
                """).objectValue
            let coloured = patterns.filter { fills?[$0.key]?.stringValue != "#f7f7f7" }
            #expect(coloured.count == patterns.count)
            #expect((fills?.members.filter { $0.value.stringValue == "#f7f7f7" }.count ?? 0) == (fills?.members.count ?? 0) - patterns.count)
            let errors = try await b.console().filter { $0.level == "SEVERE" }
            #expect(errors.isEmpty, "\(errors)")
            _ = try MapPageTests.keep(try await b.screenshot(), "map-warnings.png")
            await b.close()
        } catch {
            await b.close()
            throw error
        }
    }
}
