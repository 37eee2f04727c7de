import Foundation
import Geo
import Testing
@testable import Grid

@Suite struct DemoCountyTests {
    let demo = smallDemo

    @Test func sameSeedSameCounty() throws {
        var again = DemoCounty(county: try quCounty(), seed: 1).scaled(by: 0.2)
        again.townCount = 12
        let b = try again.build()
        #expect(b.grids == demo.grids)
        #expect(b.households == demo.households)
        #expect(b.cameras == demo.cameras)
        #expect(b.workers == demo.workers)
    }

    @Test func hierarchyOfCodes() {
        #expect(demo.towns.count == 12)
        #expect(demo.towns.allSatisfy { $0.code.count == 9 && $0.code.hasPrefix("511725") && $0.parentCode == "511725" })
        let towns = Set(demo.towns.map(\.code))
        #expect(demo.villages.allSatisfy { $0.code.count == 12 && towns.contains($0.parentCode ?? "") && $0.code.hasPrefix($0.parentCode!) })
        let villages = Set(demo.villages.map(\.code))
        #expect(demo.grids.allSatisfy { $0.code.count == 15 && villages.contains($0.villageCode ?? "") })
        #expect(Set(demo.grids.map(\.code)).count == demo.grids.count)
        #expect(Set(demo.villages.map(\.name)).count == demo.villages.count)
    }

    @Test func everyHouseholdIsInTheGridThatCountsIt() throws {
        #expect(demo.grids.allSatisfy { Grid.householdBand.contains($0.households) })
        let total = demo.households.reduce(0) { $0 + $1.households }
        #expect(demo.grids.reduce(0) { $0 + $1.households } == total)       // no household outside every grid
        #expect(demo.households.allSatisfy { $0.gridCode != nil })
        // GEOS agrees on a sample of addresses.
        let ctx = GEOSContext()
        let byCode = Dictionary(uniqueKeysWithValues: demo.grids.map { ($0.code, $0) })
        for h in demo.households.prefix(1500) {
            let g = byCode[h.gridCode!]!
            #expect(try ctx.shape(.polygon(g.polygon)).covers(ctx.shape(.point(h.position))))
        }
        // Dense in the seat and town centres: the median urban grid is far smaller than a rural one.
        let area = { (k: Grid.Kind) in demo.grids.filter { $0.kind == k }.map { Geodesy.area(of: .polygon($0.polygon)) }.sorted() }
        let urban = area(.urban), rural = area(.rural)
        #expect(!urban.isEmpty && !rural.isEmpty && urban[urban.count / 2] * 5 < rural[rural.count / 2])
    }

    @Test func camerasOfEveryNetworkInTheirGrids() {
        for (kind, count) in DemoCounty.cameraCounts { #expect(demo.cameras.filter { $0.kind == kind }.count == count, "\(kind)") }
        #expect(demo.cameras.count == 8_767)
        #expect(demo.cameras.filter { $0.gridCode == nil }.count < 50)
    }

    @Test func everyGridHasALeaderAPoliceOfficerAndOneAnswerForDuty() throws {
        #expect(demo.workers.filter { $0.role == .fullTime }.count == 71)    // 356 / 5
        #expect(demo.workers.filter { $0.role == .partTime }.count == 53)    // 263 / 5
        for g in demo.grids {
            let posts = demo.posts.filter { $0.gridCode == g.code }
            #expect(posts.filter { $0.role == .leader }.count == 1)
            #expect(posts.filter { $0.role == .police }.count == 1)
        }
        #expect(DutyRoster.conflicts(demo.shifts).isEmpty)
    }

    @Test func dutyRosterFromTheStore() throws {
        let (_, store, _) = try demoStore()
        let post = demo.posts.first { $0.role == .fullTime }!
        let roster = try store.roster(gridCode: post.gridCode)
        // Monday 2026-11-23 10:00 in China: the full-time worker; 23:00: the grid leader.
        let monday10 = ISO8601DateFormatter().date(from: "2026-11-23T10:00:00+08:00")!
        let monday23 = ISO8601DateFormatter().date(from: "2026-11-23T23:00:00+08:00")!
        #expect(roster.onDuty(at: monday10)?.id == post.workerID)
        #expect(roster.onDuty(at: monday23)?.role == .leader)
        // A second shift overlapping the first is refused by the store: one answer, always.
        let clash = DutyShift(gridCode: post.gridCode, workerID: post.workerID, weekday: 1, start: 9 * 60, end: 10 * 60)
        #expect(throws: (any Error).self) { try store.save(workers: [], posts: [], shifts: [clash]) }
        #expect(try store.roster(gridCode: post.gridCode).shifts.count == roster.shifts.count)
    }
}
