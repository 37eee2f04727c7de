import Foundation
import Geo
import Grid

/// A calendar month in China time, as `2026-11`.
public struct ReportMonth: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), (2000...2100).contains(y), (1...12).contains(m) else { return nil }
        year = y
        month = m
    }

    init(year: Int, month: Int) {
        self.year = year
        self.month = month
    }

    public var description: String { String(format: "%04d-%02d", year, month) }
    /// 2026年11月
    public var label: String { "\(year)年\(month)月" }
    public var start: Date { ChinaTime.day(description + "-01")! }
    public var end: Date { advanced(by: 1).start }
    public func advanced(by n: Int) -> ReportMonth {
        let k = year * 12 + (month - 1) + n
        return ReportMonth(year: k / 12, month: k % 12 + 1)
    }
    public static func < (a: ReportMonth, b: ReportMonth) -> Bool { (a.year, a.month) < (b.year, b.month) }
}

/// The monthly analysis report (按月发布分析报告): the month's figures for the county, each town and
/// each village as `/api/stats` gives them, the towns ranked from the worst satisfaction up (逆排名,
/// units with fewer than `rankingFloor` cases not ranked), twelve months of the county's trend,
/// and what the map needs: towns coloured by success rate, and the hot spots of the year to the
/// month's end.
public struct MonthlyReport: Sendable {
    public static let rankingFloor = 5

    public struct Unit: Sendable {
        public var code: String
        public var name: String
        public var figures: CaseFigures
        public var residents: Int?
    }

    public var month: ReportMonth
    public var county: Unit
    public var towns: [Unit]
    /// Villages by town code.
    public var villages: [String: [Unit]]
    /// Towns with at least `rankingFloor` cases, the worst satisfaction first.
    public var ranking: [Unit]
    /// The county's figures for the twelve months to this one, oldest first.
    public var trend: [(month: ReportMonth, figures: CaseFigures)]
    public var countyArea: [Polygon]
    public var townAreas: [String: [Polygon]]
    /// Grids with a hot spot pattern over the 52 weeks to the month's end.
    public var hotGrids: [(grid: Grid, pattern: SpaceTimePattern)]
    /// The month's figures by county, town and village as the store gives them (what
    /// `/api/stats` answers for the month), and the residents they are per.
    public var statistics: [(by: CaseGrouping, figures: [CaseFigures])]
    public var residents: Residents

    /// - Parameter now: a month not yet begun is refused (a month that has begun is reported so far).
    public static func read(_ month: ReportMonth, county code: String? = nil, grids: [Grid], adjacency: GridAdjacency,
                            boundaries: [Boundary], from store: any CaseStore, now: Date = Date()) throws -> MonthlyReport {
        guard month.start <= now else { throw CaseError(.invalid, "\(month) has not begun") }
        let counties = boundaries.filter { $0.level == .county }
        guard let county = counties.first(where: { $0.code == code }) ?? (code == nil ? counties.first : nil) else {
            throw CaseError(.notFound, code.map { "no county \($0)" } ?? "the database has no county boundary")
        }
        let mine = grids.filter { $0.code.hasPrefix(county.code) }
        let residents = Residents(mine)
        var statistics: [(CaseGrouping, [CaseFigures])] = []
        func units(_ level: Boundary.Level, _ by: CaseGrouping) throws -> [Unit] {
            let rows = try store.figures(from: month.start, to: month.end, by: by)
            statistics.append((by, rows))
            let figures = Dictionary(rows.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
            return boundaries.filter { $0.level == level && $0.code.hasPrefix(county.code) }.sorted { $0.code < $1.code }.map { b in
                Unit(code: b.code, name: b.name, figures: figures[b.code] ?? CaseFigures(key: b.code), residents: residents.of(b.code, by: by))
            }
        }
        let countyUnit = try units(.county, .county).first { $0.code == county.code }
            ?? Unit(code: county.code, name: county.name, figures: CaseFigures(key: county.code), residents: residents.of(county.code, by: .county))
        let towns = try units(.town, .town)
        let villages = Dictionary(grouping: try units(.village, .village)) { String($0.code.prefix(9)) }
        let ranking = towns.filter { $0.figures.received >= rankingFloor }
            .sorted { ($0.figures.satisfaction ?? 6, $0.code) < ($1.figures.satisfaction ?? 6, $1.code) }
        let trend = try (0..<12).map { k -> (ReportMonth, CaseFigures) in
            let m = month.advanced(by: k - 11)
            let f = try store.figures(from: m.start, to: m.end, by: .county).first { $0.key == county.code } ?? CaseFigures(key: county.code)
            return (m, f)
        }
        let weeks = HotSpotRequest(from: month.end - 52 * 7 * 86400, to: month.end, bin: .week)
        let hot = try EmergingHotSpots.read(weeks, grids: grids, adjacency: adjacency, gridPrefix: county.code, from: store)
            .grids.filter { $0.pattern.rawValue.hasSuffix("_hot") }.map { ($0.grid, $0.pattern) }
        return MonthlyReport(month: month, county: countyUnit, towns: towns, villages: villages, ranking: ranking, trend: trend,
                             countyArea: county.area,
                             townAreas: Dictionary(boundaries.filter { $0.level == .town && $0.code.hasPrefix(county.code) }.map { ($0.code, $0.area) },
                                                   uniquingKeysWith: { a, _ in a }),
                             hotGrids: hot, statistics: statistics, residents: residents)
    }
}
