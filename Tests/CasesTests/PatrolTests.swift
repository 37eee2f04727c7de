import Foundation
import Geo
import Testing
@testable import Cases
@testable import Grid

/// A worker's day of patrol (passes, coverage, visits) as gpxpy and shapely work it out from the
/// README's rules, and the day's figures and flags built on it.
@Suite struct PatrolTests {
    static let oracle = repoRoot.appendingPathComponent("Tests/Fixtures/patrol_oracle.py").path

    /// A walk through `stops` at 1.2 m/s, a fix every 10 s with a metre or two of noise, staying
    /// `stay` seconds at each; `gaps` skips the fixes of those minutes after the start.
    static func walk(from start: Date, stops: [(Position, TimeInterval)], gaps: Range<Double>? = nil) -> [(Date, Position)] {
        var rng = SeededRandom(seed: 17)
        var out: [(Date, Position)] = []
        var t = start, here = stops[0].0
        func fix(_ p: Position) {
            let jitter = Position(p.lon + (rng.unit() - 0.5) * 0.00002, p.lat + (rng.unit() - 0.5) * 0.00002)
            if let gaps, gaps.contains(t.timeIntervalSince(start) / 60) { t += 10; return }
            out.append((t, jitter))
            t += 10
        }
        for (stop, stay) in stops {
            let steps = max(1, Int((Geodesy.distance(here, stop) / 12).rounded(.up)))
            for k in 1...steps {
                let f = Double(k) / Double(steps)
                fix(Position(here.lon + (stop.lon - here.lon) * f, here.lat + (stop.lat - here.lat) * f))
            }
            here = stop
            for _ in 0..<Int(stay / 10) { fix(stop) }
        }
        return out
    }

    struct Day {
        var fixes: [TrackFix]
        var oracle: JSONObject
    }

    /// Uploads a walk and asks the oracle about the same GPX file.
    static func walkAndAsk(_ walk: [(Date, Position)], worker: Int64, grids: [Grid], households: [Household],
                           in d: Dispatcher, dir: TempDir, name: String) throws -> Day {
        let file = dir.write("\(name).gpx", TrackTests.gpx(walk))
        let fixes = try GPXReader().read(try Data(contentsOf: URL(fileURLWithPath: file)))
        let r = try TrackImport.record(fixes, worker: worker, in: d.store, layer: d.territory.layer)
        #expect(r.kept == walk.count && r.tooFast == 0, "\(name): \(r)")
        // Households near the track (a superset: ±0.002°, about 200 m).
        let lons = walk.map(\.1.lon), lats = walk.map(\.1.lat)
        let near = households.filter { $0.position.lon > lons.min()! - 0.002 && $0.position.lon < lons.max()! + 0.002
            && $0.position.lat > lats.min()! - 0.002 && $0.position.lat < lats.max()! + 0.002 }
        func ring(_ r: [Position]) -> JSONValue { .array(r.map { .array([.number($0.lon), .number($0.lat)]) }) }
        let spec = JSONValue.object(JSONObject([
            ("gpx", .string(file)),
            ("grids", .array(grids.map { .object(JSONObject([("code", .string($0.code)), ("rings", .array($0.polygon.rings.map(ring)))])) })),
            ("households", .array(near.map { .object(JSONObject([("id", .integer($0.id)), ("lon", .number($0.position.lon)),
                                                                 ("lat", .number($0.position.lat)), ("households", .integer(Int64($0.households)))])) })),
        ]))
        var w = JSONWriter()
        w.value(spec)
        let specFile = dir.write("\(name).json", w.text)
        let o = try sh(TrackTests.python, [oracle, specFile])
        return Day(fixes: fixes, oracle: try #require(try JSONParser.parse(o.out).objectValue, "\(o.err)"))
    }

    @Test(arguments: StoreKind.allCases) func aDayOfPatrolIsWhatGpxpyAndShapelySayAndItsFlagsFollow(_ kind: StoreKind) throws {
        let (_, _, d) = try countyDesk(kind)
        let dir = TempDir()
        let layer = d.territory.layer
        let households = try d.store.grids.households()
        // A full-time worker of a grid with enough households, and a neighbouring grid's household.
        let post = try #require(tinyDemo.result.posts.first { p in
            p.role == .fullTime && households.filter { $0.gridCode == p.gridCode }.count >= 12 })
        let worker = post.workerID
        let grid = try #require(layer.grids.first { $0.code == post.gridCode })
        let mine = households.filter { $0.gridCode == grid.code }.sorted { $0.id < $1.id }
        let homes = Array(mine.prefix(8))
        let outside = try #require(households.filter { $0.gridCode != nil && $0.gridCode != grid.code }
            .min { Geodesy.distance($0.position, homes[6].position) < Geodesy.distance($1.position, homes[6].position) })
        let workerGrids = try d.store.grids.grids(ofWorker: worker).compactMap { c in layer.grids.first { $0.code == c } }

        // Monday 23 November: a morning round with six stays of 4 minutes and one of 2, an
        // afternoon out of the grid and back, with 7 minutes without fixes on the way.
        let morning = Self.walk(from: monday(9), stops: homes.prefix(6).map { ($0.position, 240) } + [(homes[6].position, 120)])
        let afternoon = Self.walk(from: monday(14), stops: [(homes[6].position, 60), (outside.position, 200), (homes[3].position, 240), (homes[0].position, 300)],
                                  gaps: 3..<10)
        let monday23 = try Self.walkAndAsk(morning + afternoon, worker: worker, grids: workerGrids, households: households, in: d, dir: dir, name: "monday")
        // Friday 20 November: a morning only, by homes 1 and 7.
        let friday = monday(9) - 3 * 86400
        let friday20 = try Self.walkAndAsk(Self.walk(from: friday, stops: [(homes[1].position, 300), (homes[7].position, 240)]),
                                           worker: worker, grids: workerGrids, households: households, in: d, dir: dir, name: "friday")

        for (day, seen) in [("2026-11-23", monday23), ("2026-11-20", friday20)] {
            let rows = try d.store.field.patrol(day: day).filter { $0.worker == worker }
            let passes = seen.oracle["passes"]?.objectValue ?? JSONObject()
            let covered = seen.oracle["covered"]?.objectValue ?? JSONObject()
            for g in workerGrids {
                let row = try #require(rows.first { $0.grid.gridCode == g.code })
                let want = passes[g.code]?.arrayValue?.map { $0.arrayValue?.compactMap(\.doubleValue) ?? [] } ?? []
                #expect(row.grid.passes.map { [$0.start.timeIntervalSince1970, $0.end.timeIntervalSince1970] } == want, "\(day) \(g.code) passes")
                let ids = covered[g.code]?.arrayValue?.compactMap(\.integerValue) ?? []
                #expect(row.grid.covered.keys.sorted() == ids, "\(day) \(g.code) covered")
            }
            let visits = try d.store.field.visits(first: day, last: day).filter { $0.workerID == worker }
            let want = seen.oracle["visits"]?.arrayValue?.compactMap { v -> [Double]? in v.arrayValue?.compactMap(\.doubleValue) } ?? []
            #expect(visits.map { [Double($0.householdID), $0.at.timeIntervalSince1970] } == want, "\(day) visits")
        }
        // The walk was made so that the rules have something to say.
        let visited = Set(monday23.oracle["visits"]?.arrayValue?.compactMap { $0.arrayValue?.first?.integerValue } ?? [])
        #expect(visited.isSuperset(of: homes.prefix(6).map(\.id) + [outside.id]))   // six homes and the neighbour (and any within 30 m)
        // Morning, and the afternoon in two: 7 minutes without fixes end a pass.
        #expect(monday23.oracle["passes"]?.objectValue?[grid.code]?.arrayValue?.count == 3)
        #expect(friday20.oracle["passes"]?.objectValue?[grid.code]?.arrayValue?.count == 1)

        // Key households: home 1 visited on both days, home 2 once, the last of the grid never.
        let never = try #require(mine.last)
        try d.store.field.save(keyHouseholds: [homes[1].id: .keyFamily, homes[2].id: .specialGroup, never.id: .keyFamily])
        try d.store.field.recordReport(caseID: 1, worker: worker, at: monday(10))
        try d.store.field.recordReport(caseID: 2, worker: worker, at: monday(15))
        try d.store.field.recordReport(caseID: 3, worker: worker, at: friday)   // the week before
        func figures(_ day: String) throws -> PatrolFigures {
            let (input, week) = try PatrolFigures.read(day: day, from: d.store, grids: layer.grids)
            return PatrolFigures(day: day, week: week, input: input)
        }
        let f = try figures("2026-11-23")
        #expect(f.weekFirst == "2026-11-23" && f.weekLast == "2026-11-29" && f.monthFirst == "2026-11-01")
        let g = try #require(f.grids.first { $0.grid.code == grid.code })
        let coveredIDs = Set(monday23.oracle["covered"]?.objectValue?[grid.code]?.arrayValue?.compactMap(\.integerValue) ?? [])
        #expect(g.coveredHouseholds == mine.filter { coveredIDs.contains($0.id) }.reduce(0) { $0 + $1.households })
        #expect(g.morning && g.afternoon && g.workers == [worker])
        #expect(Set(g.keyDue) == [homes[2].id, never.id] && g.keyHouseholds == 3)
        let w = try #require(f.workers.first { $0.worker.id == worker })
        #expect(w.visits == visited.count && w.reportsThisWeek == 2 && Set(w.keyDue) == [homes[2].id, never.id])
        let view = PatrolView(f, by: .worker, detail: true, names: d.territory.unitNames)
        let row = try #require(view.workers?.first { $0.worker_id == worker })
        #expect(row.flags == ["reports_under_6", "key_households_due"], "\(row.flags)")
        // Friday: no afternoon pass; a grid nobody walked has neither.
        let fri = try figures("2026-11-20")
        let gf = try #require(fri.grids.first { $0.grid.code == grid.code })
        #expect(gf.morning && !gf.afternoon)
        let byGrid = PatrolView(fri, by: .grid, detail: false, names: d.territory.unitNames)
        #expect(byGrid.grids?.first { $0.grid_id == grid.code }?.flags == ["no_afternoon_pass"])
        #expect(byGrid.grids?.first { $0.grid_id != grid.code }?.flags == ["no_morning_pass", "no_afternoon_pass"])
        #expect(byGrid.grids?.allSatisfy { $0.workers == nil && $0.key_households_due == nil && $0.pass_times == nil } == true)
        // Towns add their grids up.
        let town = try #require(PatrolView(f, by: .town, detail: true, names: d.territory.unitNames).towns?.first { $0.town_code == grid.townCode })
        let townGrids = f.grids.filter { $0.grid.townCode == grid.townCode }
        #expect(town.grids == townGrids.count && town.grids_half_daily == townGrids.filter { $0.morning && $0.afternoon }.count)
        #expect(town.covered_households == townGrids.reduce(0) { $0 + $1.coveredHouseholds } && town.key_households_due == 2)
    }
}

/// Urgent cases (3必到) go to whoever on duty is near, and say why; a worker's patrol case counts
/// as their report.
@Suite struct NearestOnDutyTests {
    /// Great-circle metres (a sphere of 6,371,008.8 m): the test's own, to order the candidates.
    static func haversine(_ a: Position, _ b: Position) -> Double {
        let r = Double.pi / 180, dlat = (b.lat - a.lat) * r, dlon = (b.lon - a.lon) * r
        let h = sin(dlat / 2) * sin(dlat / 2) + cos(a.lat * r) * cos(b.lat * r) * sin(dlon / 2) * sin(dlon / 2)
        return 2 * 6_371_008.8 * asin(min(1, h.squareRoot()))
    }

    @Test(arguments: StoreKind.allCases) func urgentCasesGoToTheNearestOnDutyAndSayWhy(_ kind: StoreKind) throws {
        let (_, _, d) = try countyDesk(kind)
        let now = monday(10)
        // A grid with a full-time worker on duty, and the other on-duty workers of its town.
        let post = try #require(tinyDemo.result.posts.first { p in
            p.role == .fullTime && tinyDemo.result.posts.filter { $0.role == .fullTime && $0.gridCode.prefix(9) == p.gridCode.prefix(9) }.count >= 3 })
        let grid = try #require(d.territory.layer.grids.first { $0.code == post.gridCode })
        guard case .point(let p) = try GEOSContext().shape(.polygon(grid.polygon)).pointOnSurface().geometry else { throw CaseError(.invalid, "no point") }
        let own = post.workerID
        #expect(d.territory.rosters[grid.code]?.onDuty(at: now)?.id == own)
        let others = tinyDemo.result.posts.filter { $0.role == .fullTime && $0.gridCode.prefix(9) == grid.code.prefix(9) && $0.workerID != own }
        func urgent(at time: Date) throws -> (Case, String) {
            let c = try d.intake(IntakeRequest(category: .neighbour, channel: .window, priority: .urgent, description: "fight in the lane",
                                               location: .point(p, .crs84), parties: []), actor: clerk, now: time)
            let note = try d.store.cases.events(caseID: c.id).first { $0.action == "assigned" }?.note ?? ""
            return (c, note)
        }
        // Seen 2 minutes ago 500 m away: the grid's own worker.
        func at(_ metres: Double) -> Position { Position(p.lon, p.lat + metres / 111_000) }
        try d.store.field.save(positions: [WorkerPosition(workerID: own, at: now - 120, position: at(500), accuracyM: 5)])
        let (a, why) = try urgent(at: now)
        #expect(a.workerID == own && why.contains("on duty in the grid, last seen 2 min ago, 0.5 km away"), "\(why)")
        // 38 minutes later the worker was last seen 40 minutes ago: the nearest of the others seen lately.
        let later = now + 38 * 60
        let placed = others.prefix(2).enumerated().map { k, o in
            WorkerPosition(workerID: o.workerID, at: later - 60, position: at(1200 + Double(k) * 800), accuracyM: 10)
        }
        try d.store.field.save(positions: placed)
        let nearest = try #require(placed.min { Self.haversine($0.position, p) < Self.haversine($1.position, p) })
        let (b, why2) = try urgent(at: later)
        #expect(b.workerID == nearest.workerID && b.level == .grid && b.unit == "grid:\(grid.code)")
        #expect(why2.contains("last seen 40 min ago; nearest on duty 1.2 km"), "\(why2)")
        // Half an hour on, nobody seen lately: the roster's choice, and the event says so.
        let (c, why3) = try urgent(at: later + 1800)
        #expect(c.workerID == own && why3.contains("no one on duty in the town seen in the last 15 min"), "\(why3)")
        // A normal case is dispatched by the roster, with no such note.
        let plain = try d.intake(IntakeRequest(category: .neighbour, channel: .patrol, description: "noise", location: .point(p, .crs84), parties: []),
                                 actor: Actor("worker:w", source: "api", workerID: own), now: now)
        #expect(try d.store.cases.events(caseID: plain.id).first { $0.action == "assigned" }?.note == nil)
        // It was filed on patrol by the worker: one report of theirs this week.
        #expect(try d.store.field.reports(from: now - 86400, to: now + 86400)[own] == 1)
    }
}
