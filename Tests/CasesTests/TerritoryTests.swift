import Foundation
import Geo
import Testing
@testable import Cases
@testable import Grid

/// The dispatch rules as values, without a database: where a place falls, who takes a case there,
/// where escalation sends it, which states follow which, and the deadlines.
@Suite struct TerritoryTests {
    // Two grids of village 511725001001 in town 511725001, side by side; a third in another town.
    static let a = Grid(code: "511725001001001", name: "A", households: 400, polygon: square(106.0, 30.0, 0.01))
    static let b = Grid(code: "511725001001002", name: "B", households: 400, polygon: square(106.01, 30.0, 0.01))
    static let c = Grid(code: "511725002001001", name: "C", households: 400, polygon: square(106.05, 30.0, 0.01))
    static let worker = Worker(id: 7, name: "王伟", role: .fullTime, phone: "13900000007")
    static let leader = Worker(id: 8, name: "李娜", role: .leader, phone: "13900000008")
    /// Grid A: worker 7 on Mondays 08:00–18:00, leader 8; grid B: a leader only; C: nobody.
    static let territory = Territory(
        layer: GridLayer(grids: [a, b, c]),
        rosters: [a.code: DutyRoster(gridCode: a.code, shifts: [DutyShift(gridCode: a.code, workerID: 7, weekday: 1, start: 480, end: 1080)],
                                     leader: leader, workers: [7: worker, 8: leader]),
                  b.code: DutyRoster(gridCode: b.code, shifts: [], leader: leader, workers: [8: leader])],
        boundaries: [Boundary(code: "511725", name: "渠县", level: .county, parentCode: nil, area: [square(105, 29, 2)]),
                     Boundary(code: "511725001", name: "渠江街道", level: .town, parentCode: "511725", area: [square(106, 30, 0.05)])])

    static func square(_ x: Double, _ y: Double, _ s: Double) -> Polygon {
        Polygon([[.init(x, y), .init(x + s, y), .init(x + s, y + s), .init(x, y + s), .init(x, y)]])
    }

    static func newCase(at p: Position) -> Case {
        Case(id: 1, code: "X", category: .neighbour, channel: .window, priority: .normal, description: "d", position: p, householdID: nil,
             cameraID: nil, alertType: nil, alertCount: 0, snapshotURL: nil, gridCode: nil, level: .grid, unit: "", workerID: nil,
             status: .reported, unlocated: false, overdue: false, groupDispute: false, relatedTo: nil, reportedAt: monday(10),
             acceptBy: nil, arriveBy: nil, dueAt: nil, acceptedAt: nil, resolvedAt: nil, closedAt: nil, rating: nil)
    }

    @Test func placementByPlaceAndShift() throws {
        let t = Self.territory
        let inA = Position(106.005, 30.005)
        var here = t.placement(of: inA, at: monday(10))
        #expect(here.grid?.code == Self.a.code && here.onDuty == Self.worker && here.unit == "grid:\(Self.a.code)")
        // Outside the shift, the grid's leader.
        here = t.placement(of: inA, at: monday(20))
        #expect(here.onDuty == Self.leader && here.leader == Self.leader && here.unit == "grid:\(Self.a.code)")
        #expect(t.placement(of: Position(106.055, 30.005)).unit == "town:511725002")          // nobody posted
        #expect(t.placement(of: Position(107.5, 31.5)).unit == "county:511725")              // in no grid
        #expect(t.unitNames.name("town:511725001") == "渠江街道 综治中心")

        var c = Self.newCase(at: inA)
        try t.place(&c, now: monday(10))
        #expect(c.gridCode == Self.a.code && c.level == .grid && c.workerID == 7 && !c.unlocated)
        var far = Self.newCase(at: Position(107.5, 31.5))
        try t.place(&far, now: monday(10))
        #expect(far.unlocated && far.gridCode == nil && far.level == .county && far.unit == "county:511725")
    }

    @Test func escalationGoesUpAndAcross() throws {
        let t = Self.territory
        var c = Self.newCase(at: Position(106.005, 30.005))
        try t.place(&c, now: monday(10))
        var units: [String] = []
        while let up = c.level.up {
            try t.route(&c, to: up, now: monday(10))
            units.append(c.unit)
            #expect(c.workerID == nil)
        }
        #expect(units == ["village:511725001001", "town:511725001", "county:511725"])
        try t.route(&c, to: .court, now: monday(10))
        #expect(c.unit == "court" && c.level.up == nil)
        try t.route(&c, to: .grid, now: monday(10))                // handed back down: the worker on duty again
        #expect(c.unit == "grid:\(Self.a.code)" && c.workerID == 7)
        var nowhere = Self.newCase(at: Position(107.5, 31.5))
        try t.place(&nowhere, now: monday(10))
        #expect(throws: CaseError.self) { try t.route(&nowhere, to: .village, now: monday(10)) }
    }

    @Test func lifecycleAndDeadlines() throws {
        // Every state but the last has a way on; nothing goes back to reported.
        for s in Case.Status.allCases { #expect(s.next.isEmpty == (s == .rated) && !s.next.contains(.reported)) }
        #expect(Case.Status.closed.next == [.rated] && Case.Status.resolved.next.contains(.mediating))
        #expect(Case.Status.allCases.filter(\.isOpen) == [.reported, .assigned, .accepted, .mediating, .escalated])
        let rules = CaseRules(deadlines: [CaseRules.key(.debt, .urgent): .init(accept: 1800, arrive: 3600, resolve: 3 * 86400, autoEscalate: true)])
        #expect(try rules.deadline(.debt, .urgent).arrive == 3600)
        #expect(throws: CaseError.self) { try rules.deadline(.debt, .normal) }
        #expect(rules.relatedDistance == 300 && rules.groupPartyThreshold == 5)
    }
}
