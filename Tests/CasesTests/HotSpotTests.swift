import Foundation
import Geo
import Testing
@testable import Cases
@testable import Grid

/// Emerging hot spots: Gi* against esda, Mann–Kendall against pymannkendall, the false discovery
/// rate against scipy, the neighbours against shapely, the patterns against ArcGIS's definitions,
/// and the counts against the cases the test reported.
@Suite struct HotSpotTests {
    static let python = repoRoot.appendingPathComponent(".build/venv-test/bin/python").path
    static let oracle = repoRoot.appendingPathComponent("Tests/Fixtures/hotspot_oracle.py").path

    /// A cube over the tiny county's grids: background counts and a cluster that grows.
    func cube(_ grids: [Grid], _ adjacency: GridAdjacency, bins: Int) -> [[Int]] {
        var rng = SeededRandom(seed: 77)
        let centre = grids.count / 2
        return grids.indices.map { g in
            let near = g == centre || adjacency.neighbours[centre].contains(g)
            return (0..<bins).map { b in Int(rng.next() % 4) + (near ? b + Int(rng.next() % 3) : 0) }
        }
    }

    @Test func giStarTrendAndFalseDiscoveryAgreeWithPySAL() throws {
        let grids = tinyDemo.result.grids
        let bins = 20
        let adjacency = try GridAdjacency(grids)
        let counts = cube(grids, adjacency, bins: bins)
        let start = monday(0)
        let a = EmergingHotSpots(bins: (0..<bins).map { DateInterval(start: start + Double($0) * 7 * 86400, duration: 7 * 86400) },
                                 grids: grids, adjacency: adjacency, counts: counts)
        var w = JSONWriter()
        w.value(.object(JSONObject([
            ("grids", .array(grids.map { g in .object(JSONObject([("type", "Polygon"), ("coordinates", .array(g.polygon.rings.map { r in
                .array(r.map { .array([.number($0.lon), .number($0.lat)]) }) }))])) })),
            ("counts", .array(counts.map { .array($0.map { .integer(Int64($0)) }) })),
            ("z", .array(a.grids.map { .array($0.z.map { $0.map(JSONValue.number) ?? .null }) })),
        ])))
        let r = try sh(Self.python, [Self.oracle], stdin: w.text)
        #expect(r.status == 0, "\(r.err)")
        let o = try #require(try JSONParser.parse(r.out).objectValue)
        // The same neighbours: polygons sharing at least one point.
        let theirs = o["neighbours"]?.arrayValue?.map { $0.arrayValue?.compactMap { $0.doubleValue.map { Int($0) } } ?? [] } ?? []
        #expect(theirs == adjacency.neighbours)
        #expect(adjacency.neighbours.allSatisfy { !$0.isEmpty })
        var worst = 0.0, compared = 0
        let z = o["z"]?.arrayValue ?? [], mk = o["mk"]?.arrayValue ?? [], fdr = o["fdr"]?.arrayValue ?? []
        for (g, mine) in a.grids.enumerated() {
            let esda = z[g].arrayValue ?? []
            for b in 0..<bins {
                switch (mine.z[b], esda[b].doubleValue) {
                case let (x?, y?): worst = max(worst, abs(x - y)); compared += 1
                case (nil, nil): break
                default: Issue.record("grid \(g) bin \(b): \(String(describing: mine.z[b])) vs \(esda[b])")
                }
                // Significant after Benjamini–Hochberg at 0.05: scipy's adjusted p at most 0.05.
                let adjusted = fdr[g].arrayValue?[b].doubleValue
                let expected = adjusted.map { $0 <= 0.05 ? (mine.z[b]! > 0 ? 1 : -1) : 0 } ?? 0
                #expect(mine.hot[b] == expected, "grid \(g) bin \(b)")
            }
            let pair = mk[g].arrayValue?.compactMap(\.doubleValue)
            #expect(abs((mine.trend?.tau ?? .nan) - (pair?[0] ?? .nan)) < 1e-6 && abs((mine.trend?.p ?? .nan) - (pair?[1] ?? .nan)) < 1e-6, "grid \(g)")
        }
        #expect(compared == grids.count * bins && worst < 1e-6, "largest difference \(worst)")
        // The cluster is found: hot spots near it, with a rising trend.
        let tally = Dictionary(grouping: a.grids, by: \.pattern).mapValues(\.count)
        #expect(tally.keys.contains { [.intensifyingHot, .consecutiveHot, .persistentHot].contains($0) }, "\(tally)")
        #expect(a.grids.contains { ($0.trend?.tau ?? 0) > 0.3 && ($0.trend?.p ?? 1) < 0.05 })
    }

    /// The answer is written without the tree of values; it must be the document the type encodes.
    @Test func theFastDocumentIsTheEncodedOne() throws {
        for v in HotSpotsView.examples {
            #expect(try JSONParser.parse(v.geoJSON()) == JSONValueEncoder().encode(v))
        }
    }

    @Test func patternsFollowArcGISDefinitions() {
        func p(_ hot: [Int], _ tau: Double = 0, _ pv: Double = 1) -> SpaceTimePattern { SpaceTimePattern.classify(hot, trend: (tau, pv)) }
        let ten = Array(repeating: 1, count: 10)
        #expect(p([0, 0, 0, 0, 1]) == .newHot)
        #expect(p([0, 0, 1, 1, 1]) == .consecutiveHot)
        #expect(p([-1, 0, 1, 1]) == .consecutiveHot)
        #expect(p([1, 0, 1, 1]) == .sporadicHot)
        #expect(p([-1, 1, 0, 1]) == .oscillatingHot)
        #expect(p(ten, 0.5, 0.01) == .intensifyingHot)
        #expect(p(ten, -0.5, 0.01) == .diminishingHot)
        #expect(p(ten, 0.5, 0.2) == .persistentHot)
        #expect(p(Array(repeating: 1, count: 9) + [0]) == .historicalHot)
        #expect(p(ten.map { -$0 }, -0.5, 0.01) == .intensifyingCold)
        #expect(p(ten.map { -$0 }, 0.5, 0.01) == .diminishingCold)
        #expect(p([0, 0, -1]) == .newCold)
        #expect(p([-1, 0, 1, -1]) == .oscillatingCold)
        #expect(p([0, 0, 0, 0, 0]) == .none)
        #expect(p([1, 1, 1, 0, 0]) == .none)
        #expect(p([]) == .none)
    }

    @Test func binsFollowChinasCalendarAndRefuseTooMany() throws {
        let jan31 = ChinaTime.date("2026-01-31T00:00:00+08:00")!
        let months = try HotSpotRequest(from: jan31, to: ChinaTime.date("2026-05-15T00:00:00+08:00")!, bin: .month).bins()
        #expect(months.map { ChinaTime.text($0.end) } == ["2026-02-28T00:00:00+08:00", "2026-03-31T00:00:00+08:00", "2026-04-30T00:00:00+08:00"])
        #expect(months.dropFirst().map(\.start) == months.dropLast().map(\.end))
        let weeks = try HotSpotRequest(from: monday(0), to: monday(0) + 20 * 86400, bin: .week).bins()
        #expect(weeks.count == 2 && weeks[1].end == monday(0) + 14 * 86400)
        func refused(_ r: HotSpotRequest) -> String {
            do { _ = try r.bins(); return "" } catch { return "\(error)" }
        }
        #expect(refused(HotSpotRequest(from: monday(0), to: monday(0), bin: .day)).contains("before"))
        #expect(refused(HotSpotRequest(from: monday(0), to: monday(20), bin: .day)).contains("shorter than one day"))
        #expect(refused(HotSpotRequest(from: monday(0), to: monday(0) + 401 * 86400, bin: .day)).contains("more than 400"))
        #expect(try HotSpotRequest(from: monday(0), to: monday(0) + 400 * 86400, bin: .day).bins().count == 400)
    }

    @Test(arguments: StoreKind.allCases) func countsAreTheCasesReportedInEachGridAndBin(_ kind: StoreKind) throws {
        let (_, _, d) = try countyDesk(kind)
        let households = tinyDemo.result.households
        let start = monday(0) - 28 * 86400
        var expected: [String: [Int]] = [:]
        for k in 0..<60 {
            let bin = k % 4
            let c = try d.intake(IntakeRequest(category: k % 5 == 0 ? .land : .debt, channel: .window, description: "x",
                                               location: .household(households[k * 53 % households.count].id)),
                                 actor: clerk, now: start + Double(bin) * 7 * 86400 + Double(k) * 600)
            if k % 5 != 0, let g = c.gridCode { expected[g, default: [0, 0, 0, 0]][bin] += 1 }
        }
        // Outside the bins: before, and after the last whole week.
        _ = try d.intake(IntakeRequest(category: .debt, channel: .window, description: "x", location: .household(households[0].id)), actor: clerk, now: start - 60)
        _ = try d.intake(IntakeRequest(category: .debt, channel: .window, description: "x", location: .household(households[0].id)), actor: clerk, now: start + 28 * 86400 + 60)
        let grids = d.territory.layer.grids
        let r = HotSpotRequest(from: start, to: start + 30 * 86400, bin: .week, category: .debt)
        let a = try EmergingHotSpots.read(r, grids: grids, adjacency: try GridAdjacency(grids), from: d.cases)
        #expect(a.bins.count == 4 && a.grids.count == grids.count)
        for g in a.grids { #expect(g.counts == (expected[g.grid.code] ?? [0, 0, 0, 0]), "\(g.grid.code)") }
        // An area's analysis holds its own grids only.
        let town = grids[0].code.prefix(9)
        let local = try EmergingHotSpots.read(r, grids: grids, adjacency: try GridAdjacency(grids), gridPrefix: String(town), from: d.cases)
        #expect(local.grids.count == grids.filter { $0.code.hasPrefix(town) }.count && local.grids.allSatisfy { $0.grid.code.hasPrefix(town) })
    }
}
