import Foundation
import Geo

/// The centre's figures for a period, by grid, village, town, category, channel or the whole county.
public struct CaseFigures: Hashable, Sendable {
    public var key: String
    public var received = 0
    public var resolved = 0
    public var closed = 0
    /// Resolved or closed (a case closed without resolution, e.g. passed to court, is finished too).
    public var finished = 0
    public var onTime = 0
    public var open = 0
    public var workersWithOpenCases = 0
    public var medianHoursToClose: Double?
    public var satisfaction: Double?

    /// Resolved / finished.
    public var successRate: Double? { finished > 0 ? Double(resolved) / Double(finished) : nil }
    /// Closed / received.
    public var closureRate: Double? { received > 0 ? Double(closed) / Double(received) : nil }
    /// Finished by the deadline / finished.
    public var onTimeRate: Double? { finished > 0 ? Double(onTime) / Double(finished) : nil }
    /// Open cases per worker holding any.
    public var openLoadPerWorker: Double? { workersWithOpenCases > 0 ? Double(open) / Double(workersWithOpenCases) : nil }
}

extension SpatiaLiteCaseStore {
    public enum Grouping: String, Sendable, CaseIterable { case county, town, village, grid, category, channel }

    /// Figures for cases reported in [from, to), grouped; one SQL pass plus the medians.
    public func figures(from: Date, to: Date, by grouping: Grouping) throws -> [CaseFigures] {
        let key: String = switch grouping {
        case .county: "'all'"
        case .town: "coalesce(substr(grid_id, 1, 9), 'no grid')"
        case .village: "coalesce(substr(grid_id, 1, 12), 'no grid')"
        case .grid: "coalesce(grid_id, 'no grid')"
        case .category: "category"
        case .channel: "channel"
        }
        let args: [SQLValue] = [Self.value(from), Self.value(to)]
        var out: [String: CaseFigures] = [:]
        for r in try database.prepare("""
            SELECT \(key) AS k, count(*),
              sum(resolved_at IS NOT NULL), sum(closed_at IS NOT NULL),
              sum(resolved_at IS NOT NULL OR closed_at IS NOT NULL),
              sum(coalesce(resolved_at, closed_at) IS NOT NULL AND julianday(coalesce(resolved_at, closed_at)) <= julianday(due_at)),
              sum(status NOT IN ('resolved','closed','rated')),
              count(DISTINCT CASE WHEN status NOT IN ('resolved','closed','rated') THEN worker_id END),
              avg(rating)
            FROM cases WHERE reported_at >= ? AND reported_at < ? GROUP BY k ORDER BY k
            """).rows(args) {
            let k = r[0].text ?? ""
            out[k] = CaseFigures(key: k, received: Int(r[1].int ?? 0), resolved: Int(r[2].int ?? 0), closed: Int(r[3].int ?? 0),
                                 finished: Int(r[4].int ?? 0), onTime: Int(r[5].int ?? 0), open: Int(r[6].int ?? 0),
                                 workersWithOpenCases: Int(r[7].int ?? 0), medianHoursToClose: nil, satisfaction: r[8].double)
        }
        var durations: [String: [Double]] = [:]
        for r in try database.prepare("""
            SELECT \(key), (julianday(closed_at) - julianday(reported_at)) * 24 FROM cases
            WHERE reported_at >= ? AND reported_at < ? AND closed_at IS NOT NULL
            """).rows(args) {
            durations[r[0].text ?? "", default: []].append(r[1].double ?? 0)
        }
        for (k, d) in durations {
            let s = d.sorted()
            out[k]?.medianHoursToClose = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        return out.values.sorted { $0.key < $1.key }
    }
}
