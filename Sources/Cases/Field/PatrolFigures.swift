import Foundation
import Grid

/// The "123456" figures of one China day, per grid, per grid worker (专职/兼职网格员) and per town,
/// worked out from what the stored patrol days, visits, key households and patrol reports say.
/// `scope` limits the grids (a role's area); workers are those posted in a grid in scope.
public struct PatrolFigures: Sendable {
    public struct GridRow: Sendable {
        public var grid: Grid
        public var passes: [DateInterval]
        /// Households (counted per address point) the day's track inside the grid came within 50 m of.
        public var coveredHouseholds: Int
        /// Workers whose track made a pass or covered a household here.
        public var workers: [Int64]
        public var keyHouseholds: Int
        /// Key households with fewer than two visits from the 1st of the month to the day.
        public var keyDue: [Int64]
        public var morning: Bool { passes.contains { PatrolFigures.isMorning($0.start) } }
        public var afternoon: Bool { passes.contains { !PatrolFigures.isMorning($0.start) } }
        public var coverage: Double { grid.households > 0 ? min(1, Double(coveredHouseholds) / Double(grid.households)) : 0 }
    }
    public struct WorkerRow: Sendable {
        public var worker: Worker
        public var grids: [String]
        public var passes: [DateInterval]
        public var visits: Int
        public var reportsThisWeek: Int
        public var keyDue: [Int64]
        public var morning: Bool { passes.contains { PatrolFigures.isMorning($0.start) } }
        public var afternoon: Bool { passes.contains { !PatrolFigures.isMorning($0.start) } }
    }
    public struct TownRow: Sendable {
        public var code: String
        public var grids: [GridRow]
        public var workers: [WorkerRow]
    }

    public var day: String
    /// Monday and Sunday of the day's week, the 1st of its month (`YYYY-MM-DD`).
    public var weekFirst: String, weekLast: String, monthFirst: String
    public var grids: [GridRow]
    public var workers: [WorkerRow]
    public var towns: [TownRow]

    public struct Input: Sendable {
        public var grids: [Grid]
        public var posts: [GridPost]
        public var workers: [Worker]
        public var patrol: [(worker: Int64, grid: GridPatrol)]
        /// Visits from the 1st of the month to the day.
        public var visits: [HouseholdVisit]
        public var keyHouseholds: [WatchedHousehold]
        /// Patrol reports per worker from the week's Monday to the end of the day.
        public var reports: [Int64: Int]
    }

    /// Reads what the figures of `day` need from a store.
    public static func read(day: String, from store: any StoreConnection, grids: [Grid]) throws -> (PatrolFigures.Input, PatrolWeek) {
        let week = try PatrolWeek(day: day)
        return (Input(grids: grids, posts: try store.grids.posts(), workers: try store.grids.workers(),
                      patrol: try store.field.patrol(day: day), visits: try store.field.visits(first: week.monthFirst, last: day),
                      keyHouseholds: try store.field.keyHouseholds(),
                      reports: try store.field.reports(from: week.monday, to: week.dayEnd)), week)
    }

    public init(day: String, week: PatrolWeek, input: Input, scope: (String) -> Bool = { _ in true }, onlyWorker: Int64? = nil) {
        self.day = day
        weekFirst = ChinaTime.dayText(week.monday)
        weekLast = ChinaTime.dayText(week.monday + 6 * 86400)
        monthFirst = week.monthFirst
        let shown = input.grids.filter { scope($0.code) }.sorted { $0.code < $1.code }
        let codes = Set(shown.map(\.code))

        var passes: [String: [DateInterval]] = [:], covered: [String: [Int64: Int]] = [:], walkers: [String: Set<Int64>] = [:]
        var workerPasses: [Int64: [DateInterval]] = [:]
        for (w, g) in input.patrol where codes.contains(g.gridCode) {
            passes[g.gridCode, default: []] += g.passes
            covered[g.gridCode, default: [:]].merge(g.covered) { a, _ in a }
            if !g.passes.isEmpty || !g.covered.isEmpty { walkers[g.gridCode, default: []].insert(w) }
            workerPasses[w, default: []] += g.passes
        }
        var visitsToday: [Int64: Int] = [:], visitsMonth: [Int64: Int] = [:]
        for v in input.visits {
            visitsMonth[v.householdID, default: 0] += 1
            if v.day == day { visitsToday[v.workerID, default: 0] += 1 }
        }
        var keys: [String: Int] = [:], due: [String: [Int64]] = [:]
        for k in input.keyHouseholds {
            guard let g = k.gridCode, codes.contains(g) else { continue }
            keys[g, default: 0] += 1
            if visitsMonth[k.householdID, default: 0] < PatrolRules.keyVisitsPerMonth { due[g, default: []].append(k.householdID) }
        }
        grids = shown.map { g in
            GridRow(grid: g, passes: (passes[g.code] ?? []).sorted { $0.start < $1.start },
                    coveredHouseholds: covered[g.code]?.values.reduce(0, +) ?? 0, workers: (walkers[g.code] ?? []).sorted(),
                    keyHouseholds: keys[g.code] ?? 0, keyDue: due[g.code] ?? [])
        }

        let people = Dictionary(input.workers.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var postsOf: [Int64: [String]] = [:]
        // Grid workers (专职/兼职网格员) are held to the method; a worker asking for their own row
        // gets it whatever their post.
        for p in input.posts where codes.contains(p.gridCode) {
            let counted = onlyWorker.map { $0 == p.workerID } ?? (p.role == .fullTime || p.role == .partTime)
            if counted { postsOf[p.workerID, default: []].append(p.gridCode) }
        }
        workers = postsOf.keys.sorted().compactMap { id in
            guard let w = people[id] else { return nil }
            let mine = Set(postsOf[id]!).sorted()
            return WorkerRow(worker: w, grids: mine, passes: (workerPasses[id] ?? []).sorted { $0.start < $1.start },
                             visits: visitsToday[id] ?? 0, reportsThisWeek: input.reports[id] ?? 0,
                             keyDue: mine.flatMap { due[$0] ?? [] })
        }

        var byTown: [String: TownRow] = [:]
        for g in grids { let t = g.grid.townCode ?? String(g.grid.code.prefix(9)); byTown[t, default: TownRow(code: t, grids: [], workers: [])].grids.append(g) }
        for w in workers {
            for t in Set(w.grids.map { String($0.prefix(9)) }) { byTown[t]?.workers.append(w) }
        }
        towns = byTown.values.sorted { $0.code < $1.code }
    }

    static func isMorning(_ d: Date) -> Bool {
        d.timeIntervalSince(ChinaTime.startOfDay(d)) < PatrolRules.noon
    }
}

/// The China-time week (Monday to Sunday) and month of a day, for the weekly and monthly counts.
public struct PatrolWeek: Sendable {
    public var monday: Date
    /// The end of the day itself: what came after it does not count for it.
    public var dayEnd: Date
    public var monthFirst: String
    public init(day: String) throws {
        guard let start = ChinaTime.day(day) else { throw StoreError.invalid("\(day) is not a day (YYYY-MM-DD)") }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = DutyRoster.chinaStandardTime
        let weekday = (cal.component(.weekday, from: start) + 5) % 7   // 0 = Monday
        monday = start - Double(weekday) * 86400
        dayEnd = start + 86400
        monthFirst = String(day.prefix(8)) + "01"
    }
}
