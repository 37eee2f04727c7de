import Foundation
import Geo
import Testing
@testable import Cases
@testable import Grid

@Suite struct DispatchTests {
    /// A grid with a full-time worker, and a point inside it.
    func staffedGrid() throws -> (Grid, Position, Int64) {
        let post = tinyDemo.result.posts.first { $0.role == .fullTime }!
        let grid = tinyDemo.result.grids.first { $0.code == post.gridCode }!
        let ctx = GEOSContext()
        guard case .point(let p) = try ctx.shape(.polygon(grid.polygon)).pointOnSurface().geometry else { throw CaseError(.invalid, "no point") }
        return (grid, p, post.workerID)
    }

    func dispute(_ p: Position, crs: CRS = .crs84, _ category: Case.Category = .neighbour, parties: Int = 1) -> IntakeRequest {
        IntakeRequest(category: category, channel: .window, description: "noise at night", location: .point(p, crs),
                      parties: (0..<parties).map { Party(name: "甲\($0)", phone: "1380000000\($0)", idNumber: "51172519900101123\($0)") })
    }

    @Test(arguments: StoreKind.allCases) func landsOnTheWorkerOnDutyElseTheLeaderByLocation(_ kind: StoreKind) throws {
        let (_, _, d) = try countyDesk(kind)
        let (grid, p, worker) = try staffedGrid()
        let day = try d.intake(dispute(p), actor: clerk, now: monday(10))
        #expect(day.gridCode == grid.code && day.status == .assigned && day.level == .grid)
        #expect(day.workerID == worker && day.unit == "grid:\(grid.code)")
        let leader = tinyDemo.result.posts.first { $0.gridCode == grid.code && $0.role == .leader }!.workerID
        let night = try d.intake(dispute(p, .debt), actor: clerk, now: monday(23))
        #expect(night.workerID == leader)
        // Deadlines from the rules: accept within 4 h, resolve within 15 days.
        #expect(day.acceptBy == monday(14) && day.dueAt == monday(10) + 15 * 86400)
        // GCJ-02 input of the same place lands in the same grid.
        let g = try d.intake(dispute(try ChinaOffset.wgs84ToGCJ02(p), crs: .gcj02, .land), actor: clerk, now: monday(10))
        #expect(g.gridCode == grid.code && Geodesy.distance(g.position, p) < 0.01)
    }

    @Test(arguments: StoreKind.allCases) func outsideEveryGridGoesToTheCountyQueueFlagged(_ kind: StoreKind) throws {
        let (_, _, d) = try countyDesk(kind)
        let c = try d.intake(dispute(Position(106.5, 30.5)), actor: clerk, now: monday(10))
        #expect(c.gridCode == nil && c.unlocated && c.status == .reported && c.unit == "county:511725" && c.level == .county)
        #expect(try d.cases.events(caseID: c.id).map(\.action) == ["reported", "queued"])
    }

    @Test(arguments: StoreKind.allCases) func badLocationsAreRefusedAndNothingIsStored(_ kind: StoreKind) throws {
        let (_, _, d) = try countyDesk(kind)
        #expect(throws: CaseError.self) { try d.intake(dispute(Position(2.35, 48.85)), actor: clerk) }
        #expect(throws: CaseError.self) { try d.intake(dispute(Position(2.35, 48.85), crs: .gcj02), actor: clerk) }
        #expect(throws: CaseError.self) { try d.intake(dispute(Position(106.9, 30.9), crs: .epsg(3857)), actor: clerk) }
        #expect(throws: CaseError.self) { try d.intake(dispute(Position(.nan, 30.9)), actor: clerk) }
        var r = dispute(Position(106.9, 30.9))
        r.location = .household(99_999_999)
        do { _ = try d.intake(r, actor: clerk); Issue.record("unknown household accepted") } catch let e as CaseError {
            #expect(e.kind == .notFound && e.reason == "unknown household 99999999")
        }
        r.location = .camera("nope")
        #expect(throws: CaseError.self) { try d.intake(r, actor: clerk) }
        r = dispute(Position(106.9, 30.9)); r.description = "   "
        #expect(throws: CaseError.self) { try d.intake(r, actor: clerk) }
        #expect(try d.cases.count() == 0)
    }

    @Test(arguments: StoreKind.allCases) func lifecycleRefusesIllegalStepsWithTheAllowedOnes(_ kind: StoreKind) throws {
        let (_, _, d) = try countyDesk(kind)
        let (_, p, _) = try staffedGrid()
        let c = try d.intake(dispute(p), actor: clerk, now: monday(10))
        do { _ = try d.transition(caseID: c.id, TransitionRequest(to: .closed), actor: clerk); Issue.record("closed from assigned") } catch let e as CaseError {
            #expect(e.kind == .conflict)
            #expect(e.reason == "case \(c.id) is assigned and cannot become closed; allowed: assigned, accepted, escalated")
        }
        #expect(throws: CaseError.self) { try d.transition(caseID: c.id, TransitionRequest(to: .rated, rating: 5), actor: clerk) }
        var x = try d.transition(caseID: c.id, TransitionRequest(to: .accepted), actor: clerk)
        x = try d.transition(caseID: c.id, TransitionRequest(to: .mediating), actor: clerk)
        // Up the levels and across to the court, and back down.
        x = try d.transition(caseID: c.id, TransitionRequest(to: .escalated), actor: clerk)
        #expect(x.level == .village && x.unit.hasPrefix("village:") && x.workerID == nil)
        x = try d.transition(caseID: c.id, TransitionRequest(to: .assigned, target: "town"), actor: clerk)
        #expect(x.level == .town)
        x = try d.transition(caseID: c.id, TransitionRequest(to: .escalated, target: "court"), actor: clerk)
        #expect(x.level == .court && x.unit == "court")
        x = try d.transition(caseID: c.id, TransitionRequest(to: .assigned), actor: clerk)   // handed back to the grid
        #expect(x.level == .grid || x.level == .town)
        x = try d.transition(caseID: c.id, TransitionRequest(to: .accepted), actor: clerk)
        x = try d.transition(caseID: c.id, TransitionRequest(to: .resolved), actor: clerk)
        x = try d.transition(caseID: c.id, TransitionRequest(to: .closed), actor: clerk)
        #expect(throws: CaseError.self) { try d.transition(caseID: c.id, TransitionRequest(to: .rated, rating: 9), actor: clerk) }
        x = try d.transition(caseID: c.id, TransitionRequest(to: .rated, rating: 4), actor: clerk)
        #expect(x.rating == 4 && x.resolvedAt != nil && x.closedAt != nil)
        do { _ = try d.transition(caseID: c.id, TransitionRequest(to: .mediating), actor: clerk) } catch let e as CaseError {
            #expect(e.reason.hasSuffix("allowed: none (the case is finished)"))
        }
        #expect(throws: CaseError.self) { try d.transition(caseID: 999_999, TransitionRequest(to: .accepted), actor: clerk) }
        // Every change is an event, and events cannot be rewritten.
        let events = try d.cases.events(caseID: c.id)
        #expect(events.count == 12 && events.allSatisfy { !$0.actor.isEmpty })   // 2 at intake, 10 transitions
        #expect(throws: StoreError.self) { try execute("UPDATE case_events SET actor = 'x'", on: d.store) }
        #expect(throws: StoreError.self) { try execute("DELETE FROM case_events", on: d.store) }
    }

    @Test(arguments: StoreKind.allCases) func neighbouringDisputesAreLinkedAndManyPartiesMakeAGroupDispute(_ kind: StoreKind) throws {
        let (_, _, d) = try countyDesk(kind)
        let (_, p, _) = try staffedGrid()
        let a = try d.intake(dispute(p, .labour, parties: 2), actor: clerk, now: monday(10))
        let b = try d.intake(dispute(Position(p.lon + 0.0005, p.lat), .labour, parties: 2), actor: clerk, now: monday(11))
        #expect(b.relatedTo == a.id && !b.groupDispute && b.level == .grid)
        let other = try d.intake(dispute(p, .family, parties: 2), actor: clerk, now: monday(11))
        #expect(other.relatedTo == nil)                      // another category
        let c = try d.intake(dispute(p, .labour, parties: 2), actor: clerk, now: monday(12))
        #expect(c.relatedTo == a.id && c.groupDispute && c.level == .village)   // 6 parties ≥ 5: one level up
    }

    /// The server and the CLI each have a dispatcher on the same file: each links to cases the
    /// other stored, and stops linking to one the other resolved or closed.
    @Test(arguments: StoreKind.allCases) func linkingSeesWhatAnotherProcessStoredOrFinished(_ kind: StoreKind) throws {
        let dir = TempDir()
        let path = kind.newLocation(in: dir)
        _ = try countyDesk(tinyDemo, at: path)
        // The server follows the file's changes through its feed, as `wangge serve` does.
        let writer = try connect(path)
        let feed = ChangeFeed(position: try writer.feedPosition())
        let follower = try backend(path).follow(into: feed, from: feed.position)
        defer { withExtendedLifetime(follower) {} }
        let server = try Dispatcher(store: writer, feed: feed)
        let cli = try Dispatcher(store: try connect(path))
        let (_, p, _) = try staffedGrid()
        let near = Position(p.lon + 0.0005, p.lat)
        _ = try server.intake(dispute(p, .debt), actor: clerk, now: monday(9))     // the server has looked once
        let a = try cli.intake(dispute(p, .labour), actor: clerk, now: monday(10))
        caughtUp(feed)
        let b = try server.intake(dispute(near, .labour), actor: clerk, now: monday(11))
        #expect(b.relatedTo == a.id)
        // The CLI finishes both; the server links the next one to nothing.
        for id in [a.id, b.id] {
            for to in [Case.Status.accepted, .resolved] { _ = try cli.transition(caseID: id, TransitionRequest(to: to), actor: clerk, now: monday(12)) }
            caughtUp(feed)
        }
        let c = try server.intake(dispute(near, .labour), actor: clerk, now: monday(13))
        #expect(c.relatedTo == nil)
        // Reopened into mediation, it is open again; the server's own cases count too.
        _ = try cli.transition(caseID: a.id, TransitionRequest(to: .mediating), actor: clerk, now: monday(14))
        caughtUp(feed)
        let d = try server.intake(dispute(p, .labour), actor: clerk, now: monday(15))
        #expect(d.relatedTo == a.id)
        let e = try cli.intake(dispute(p, .debt), actor: clerk, now: monday(15))
        #expect(e.relatedTo != nil)                          // the server's first case, debt, still open
    }

    @Test(arguments: StoreKind.allCases) func cameraAlertsOpenOrJoinACase(_ kind: StoreKind) throws {
        let (_, _, d) = try countyDesk(kind)
        let camera = tinyDemo.result.cameras.first { $0.gridCode != nil }!
        let (first, merged1) = try d.alert(AlertRequest(cameraID: camera.id, type: "fight", at: monday(10)), actor: clerk)
        #expect(!merged1 && first.channel == .camera && first.priority == .urgent && first.gridCode == camera.viewGridCode)
        let (again, merged2) = try d.alert(AlertRequest(cameraID: camera.id, type: "fight", at: monday(10) + 600), actor: clerk)
        #expect(merged2 && again.id == first.id && again.alertCount == 2)
        let (smoke, merged3) = try d.alert(AlertRequest(cameraID: camera.id, type: "fire_smoke", at: monday(10) + 600), actor: clerk)
        #expect(!merged3 && smoke.id != first.id)
        let (later, merged4) = try d.alert(AlertRequest(cameraID: camera.id, type: "fight", at: monday(12)), actor: clerk)
        #expect(!merged4 && later.id != first.id)                 // outside the 30-minute window
        #expect(throws: CaseError.self) { try d.alert(AlertRequest(cameraID: "no-such", type: "fight", at: monday(10)), actor: clerk) }
        #expect(throws: CaseError.self) { try d.alert(AlertRequest(cameraID: camera.id, type: "ufo", at: monday(10)), actor: clerk) }
    }

    /// A camera on a street that is a grid boundary looks into the grid across it: its alerts go
    /// there, the pole's grid kept beside; a PTZ camera's bearing turns the view for one alert.
    @Test(arguments: StoreKind.allCases) func cameraAlertsGoToTheGridTheCameraLooksAt(_ kind: StoreKind) throws {
        let (_, store, d) = try countyDesk(kind)
        let layer = GridLayer(grids: try store.grids())
        let camera = try #require(try store.cameras().first { $0.view != nil && $0.gridCode != nil && $0.viewGridCode != $0.gridCode })
        #expect(camera.viewGridCode == layer.viewedGrid(of: camera)?.code)
        let (c, _) = try d.alert(AlertRequest(cameraID: camera.id, type: "intrusion", at: monday(10)), actor: clerk)
        #expect(c.gridCode == camera.viewGridCode && c.poleGridCode == camera.gridCode)
        let stored = try #require(try d.cases.find(id: c.id))
        #expect(stored.gridCode == camera.viewGridCode && stored.poleGridCode == camera.gridCode && stored.unit == c.unit)
        // A bearing that makes it look elsewhere.
        let turned = try #require(stride(from: 0.0, to: 360, by: 15).first { layer.viewedGrid(of: camera, bearing: $0)?.code != camera.viewGridCode })
        let (t, _) = try d.alert(AlertRequest(cameraID: camera.id, type: "fight", at: monday(10), bearing: turned), actor: clerk)
        #expect(t.gridCode == layer.viewedGrid(of: camera, bearing: turned)?.code && t.gridCode != c.gridCode && t.poleGridCode == camera.gridCode)
        // Bad bearings, and a bearing for a camera known only by its pole: refused, nothing stored.
        let pole = try #require(try store.cameras().first { $0.view == nil })
        let before = try d.cases.openCases().count
        for (id, b) in [(camera.id, 360.0), (camera.id, -5), (camera.id, .nan), (pole.id, 90)] {
            #expect { _ = try d.alert(AlertRequest(cameraID: id, type: "fight", at: monday(11), bearing: b), actor: clerk) } throws: {
                ($0 as? CaseError)?.kind == .invalid
            }
        }
        #expect(try d.cases.openCases().count == before)
    }

    /// Publishing re-derives the grid each camera looks at, and moves its open alerts with it.
    @Test(arguments: StoreKind.allCases) func publishingRederivesTheGridsCamerasLookAt(_ kind: StoreKind) throws {
        let (_, store, d) = try countyDesk(kind)
        let camera = try #require(try store.cameras().first { $0.view != nil && $0.gridCode != nil && $0.viewGridCode != $0.gridCode })
        let (c, _) = try d.alert(AlertRequest(cameraID: camera.id, type: "intrusion", at: monday(10)), actor: clerk)
        // The grid it looked at is taken out of the layer: it must look at another now.
        let grids = try store.grids().filter { $0.code != camera.viewGridCode }
        let expected = GridLayer(grids: grids).viewedGrid(of: camera)?.code
        #expect(expected != camera.viewGridCode)
        let report = try store.publish(grids, note: "without \(camera.viewGridCode!)", planID: nil, effectiveAt: Date())
        let after = try #require(try store.camera(id: camera.id))
        #expect(after.viewGridCode == expected && after.gridCode == camera.gridCode)
        #expect(report.moves.contains { $0.item == .camera && $0.itemID == camera.id && $0.from == camera.viewGridCode && $0.to == expected })
        let moved = try #require(try d.cases.find(id: c.id))
        #expect(moved.gridCode == expected && moved.poleGridCode == camera.gridCode)
        #expect(try d.cases.events(caseID: c.id).contains { $0.action == "moved" })
    }

    @Test(arguments: StoreKind.allCases) func overdueCasesAreFlaggedAndUrgentOnesEscalate(_ kind: StoreKind) throws {
        let (_, _, d) = try countyDesk(kind)
        let (_, p, _) = try staffedGrid()
        let normal = try d.intake(dispute(p, .debt), actor: clerk, now: monday(10))
        var r = dispute(p, .traffic); r.priority = .urgent
        let urgent = try d.intake(r, actor: clerk, now: monday(10))
        let flagged = try d.checkOverdue(now: monday(10) + 3600)         // urgent: accept within 30 min
        #expect(flagged.map(\.id) == [urgent.id])
        #expect(flagged[0].overdue && flagged[0].status == .escalated && flagged[0].level == .village)
        let later = try d.checkOverdue(now: monday(10) + 16 * 86400)
        #expect(later.map(\.id) == [normal.id] && later[0].status == .assigned)   // flagged, not escalated
        #expect(try d.checkOverdue(now: monday(10) + 17 * 86400).isEmpty)        // once
    }

    @Test func trackingCodesAreShortUnguessableAndForgiving() {
        let codes = (0..<20_000).map { _ in TrackingCode.make() }
        #expect(Set(codes).count == codes.count)
        #expect(codes.allSatisfy { $0.count == 14 && $0.range(of: "^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$", options: .regularExpression) != nil })
        #expect(TrackingCode.normalise("k7q2 m9xd 3hva") == "K7Q2-M9XD-3HVA")
        #expect(TrackingCode.normalise("K7Q2-M9XD-3HVO") == "K7Q2-M9XD-3HV0")
    }

    @Test(arguments: StoreKind.allCases) func statisticsCountWhatHappened(_ kind: StoreKind) throws {
        let (_, _, d) = try countyDesk(kind)
        let (_, p, _) = try staffedGrid()
        func through(_ id: Int64, _ steps: [Case.Status], at t: Date) throws {
            for (k, s) in steps.enumerated() {
                _ = try d.transition(caseID: id, TransitionRequest(to: s, target: s == .escalated ? "court" : nil, rating: s == .rated ? 5 : nil),
                                     actor: clerk, now: t + Double(k + 1) * 3600)
            }
        }
        let a = try d.intake(dispute(p, .land), actor: clerk, now: monday(8))
        try through(a.id, [.accepted, .resolved, .closed, .rated], at: monday(8))              // closed in 3 h
        let b = try d.intake(dispute(p, .debt), actor: clerk, now: monday(8))
        try through(b.id, [.accepted, .resolved, .closed], at: monday(8))                      // 3 h
        let c = try d.intake(dispute(p, .labour), actor: clerk, now: monday(8))
        try through(c.id, [.accepted, .escalated, .closed], at: monday(8))                     // closed unresolved, 3 h
        _ = try d.intake(dispute(p, .family), actor: clerk, now: monday(8))                    // open
        let f = try d.cases.figures(from: monday(0), to: monday(0) + 7 * 86400, by: .county)[0]
        #expect(f.received == 4 && f.resolved == 2 && f.closed == 3 && f.finished == 3 && f.open == 1)
        #expect(f.successRate == 2.0 / 3 && f.closureRate == 0.75 && f.onTimeRate == 1)
        #expect(f.medianHoursToClose == 3 && f.satisfaction == 5)
        let byCategory = try d.cases.figures(from: monday(0), to: monday(0) + 7 * 86400, by: .category)
        #expect(byCategory.map(\.key) == ["debt", "family", "labour", "land"])
    }

    @Test(arguments: StoreKind.allCases) func publishingAGridLayerMovesOpenCasesOnly(_ kind: StoreKind) throws {
        let (_, store, d) = try countyDesk(kind)
        let (grid, p, _) = try staffedGrid()
        let open = try d.intake(dispute(p, .land), actor: clerk, now: monday(10))
        let done = try d.intake(dispute(p, .debt), actor: clerk, now: monday(10))
        for s in [Case.Status.accepted, .resolved, .closed] { _ = try d.transition(caseID: done.id, TransitionRequest(to: s), actor: clerk) }
        // Re-code the grid in a new version: the same polygon under a new code.
        var grids = try store.grids()
        let k = grids.firstIndex { $0.code == grid.code }!
        grids[k].code = String(grid.code.prefix(12)) + "999"
        let newCode = grids[k].code
        let report = try store.publish(grids, note: "recode", planID: nil, effectiveAt: Date())
        #expect(try d.cases.find(id: open.id)?.gridCode == newCode)
        #expect(try d.cases.find(id: done.id)?.gridCode == grid.code)
        let caseMoves = report.moves.filter { $0.item == .case }
        #expect(caseMoves.map(\.itemID) == [String(open.id)] && caseMoves.first?.from == grid.code && caseMoves.first?.to == newCode)
        // The move is in the open case's timeline (and so on the feed), and only in its.
        let moved = try d.cases.events(caseID: open.id).filter { $0.action == "moved" }
        #expect(moved.count == 1 && moved[0].note == "grid \(grid.code) → \(newCode) (layer version \(report.version))")
        #expect(moved[0].from == .assigned && moved[0].to == .assigned)
        #expect(try d.cases.events(caseID: done.id).allSatisfy { $0.action != "moved" })
        #expect(try store.moves(version: report.version).contains { $0.item == .case })
    }

    @Test(arguments: StoreKind.allCases) func deskCommitsConcurrentIntakesTogether(_ kind: StoreKind) async throws {
        let dir = TempDir()
        let path = kind.newLocation(in: dir)
        _ = try countyDesk(tinyDemo, at: path)
        let (_, p, _) = try staffedGrid()
        let desk = CaseDesk(dispatcher: try Dispatcher(store: try connect(path, .writer)))
        // A store error after a case's first row is written (a party the database refuses): the
        // batch is written again with a savepoint per intake, and only that intake fails.
        try execute(kind == .spatialite ? """
            CREATE TRIGGER refuse_party BEFORE INSERT ON case_parties WHEN NEW.name = 'refused'
            BEGIN SELECT RAISE(ABORT, 'party refused by the test'); END
            """ : """
            CREATE FUNCTION refuse_party() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NEW.name = 'refused' THEN RAISE EXCEPTION 'party refused by the test'; END IF; RETURN NEW; END $$;
            CREATE TRIGGER refuse_party BEFORE INSERT ON case_parties FOR EACH ROW EXECUTE FUNCTION refuse_party();
            """, on: try connect(path))
        let made = try await withThrowingTaskGroup(of: Case.self) { group in
            for k in 0..<3 {
                group.addTask {
                    try await desk.intake(IntakeRequest(category: .debt, channel: .qr, description: "half-written \(k)",
                                                        location: .point(p, .crs84), parties: [Party(name: "refused")]), actor: clerk)
                }
            }
            for k in 0..<40 {
                group.addTask {
                    try await desk.intake(IntakeRequest(category: .consumer, channel: .qr, description: "refund \(k)",
                                                        location: .point(Position(p.lon + Double(k) * 1e-5, p.lat), .crs84)), actor: clerk)
                }
            }
            // One bad request in the middle fails alone.
            group.addTask {
                try await desk.intake(IntakeRequest(category: .consumer, channel: .qr, description: "",
                                                    location: .point(p, .crs84)), actor: clerk)
            }
            var out: [Case] = []
            while let next = await group.nextResult() { if case .success(let c) = next { out.append(c) } }
            return out
        }
        #expect(made.count == 40)
        // Durable and visible to another connection; nothing of the refused ones.
        let other = try connect(path).cases
        #expect(try other.count() == 40)
        #expect(try scalar("SELECT count(*) FROM case_events WHERE case_id NOT IN (SELECT id FROM cases)", on: try connect(path)) == "0")
        // Found by box through the cell index, as SpatiaLite finds them by scanning.
        var q = CaseQuery(limit: 100)
        q.bbox = BoundingBox(minLon: p.lon - 1e-6, minLat: p.lat - 1e-6, maxLon: p.lon + 1e-6, maxLat: p.lat + 1e-6)
        #expect(try other.page(q).cases.map(\.position) == [p])
    }
}
