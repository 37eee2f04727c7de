import Foundation

/// A person who serves grids: grid leader (网格长), full-time or part-time grid worker (专职/兼职网格员),
/// or grid police officer (网格警长).
public struct Worker: Hashable, Sendable {
    public enum Role: String, Sendable, CaseIterable {
        case leader
        case fullTime = "full_time"
        case partTime = "part_time"
        case police
        /// 微网格长: leads a micro-grid, the first to a dispute there.
        case microgridLeader = "microgrid_leader"
    }

    public var id: Int64
    public var name: String
    public var role: Role
    public var phone: String

    public init(id: Int64, name: String, role: Role, phone: String) {
        self.id = id
        self.name = name
        self.role = role
        self.phone = phone
    }
}

/// A worker's weekly duty window in one grid, in China Standard Time (UTC+8, no daylight saving).
public struct DutyShift: Hashable, Sendable {
    public var gridCode: String
    public var workerID: Int64
    /// 1 = Monday … 7 = Sunday.
    public var weekday: Int
    /// Minutes after local midnight, start inclusive, end exclusive.
    public var start: Int
    public var end: Int

    public init(gridCode: String, workerID: Int64, weekday: Int, start: Int, end: Int) {
        self.gridCode = gridCode
        self.workerID = workerID
        self.weekday = weekday
        self.start = start
        self.end = end
    }

    func covers(weekday w: Int, minute m: Int) -> Bool { w == weekday && m >= start && m < end }

    func overlaps(_ o: DutyShift) -> Bool { weekday == o.weekday && start < o.end && o.start < end }
}

/// Who answers for one grid at a given time: the worker whose shift covers it, else the grid leader.
/// Shifts in a grid never overlap (the store refuses it), so there is always exactly one answer.
public struct DutyRoster: Sendable {
    public let gridCode: String
    public let shifts: [DutyShift]
    public let leader: Worker?
    public let workers: [Int64: Worker]

    public init(gridCode: String, shifts: [DutyShift], leader: Worker?, workers: [Int64: Worker]) {
        self.gridCode = gridCode
        self.shifts = shifts
        self.leader = leader
        self.workers = workers
    }

    public static let chinaStandardTime = TimeZone(secondsFromGMT: 8 * 3600)!

    public func onDuty(at date: Date) -> Worker? {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = Self.chinaStandardTime
        let c = cal.dateComponents([.weekday, .hour, .minute], from: date)
        // Calendar: 1 = Sunday; ours: 1 = Monday.
        let weekday = (c.weekday! + 5) % 7 + 1
        let minute = c.hour! * 60 + c.minute!
        if let s = shifts.first(where: { $0.covers(weekday: weekday, minute: minute) }), let w = workers[s.workerID] { return w }
        return leader
    }

    /// Pairs of shifts that overlap: each would make "who is on duty" ambiguous.
    public static func conflicts(_ shifts: [DutyShift]) -> [(DutyShift, DutyShift)] {
        var out: [(DutyShift, DutyShift)] = []
        for (i, a) in shifts.enumerated() {
            for b in shifts[(i + 1)...] where a.gridCode == b.gridCode && a.overlaps(b) { out.append((a, b)) }
        }
        return out
    }
}
