import Foundation
import Grid
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
    /// 信访: cases that came as petitions.
    public var petitions = 0
    /// 诉讼: cases that went to court.
    public var court = 0
    /// Accepted by the time to accept.
    public var acceptedOnTime = 0
    public var urgent = 0
    /// 3必到: urgent cases accepted (the worker there) by the time to arrive.
    public var urgentArrivedOnTime = 0
    /// Resolved, then taken back into mediation.
    public var reopened = 0

    /// Resolved / finished.
    public var successRate: Double? { finished > 0 ? Double(resolved) / Double(finished) : nil }
    /// Closed / received.
    public var closureRate: Double? { received > 0 ? Double(closed) / Double(received) : nil }
    /// Finished by the deadline / finished.
    public var onTimeRate: Double? { finished > 0 ? Double(onTime) / Double(finished) : nil }
    /// Accepted on time / received.
    public var acceptedOnTimeRate: Double? { received > 0 ? Double(acceptedOnTime) / Double(received) : nil }
    /// Urgent cases there on time / urgent cases.
    public var urgentArrivalRate: Double? { urgent > 0 ? Double(urgentArrivedOnTime) / Double(urgent) : nil }
    /// Reopened / received.
    public var reopenedShare: Double? { received > 0 ? Double(reopened) / Double(received) : nil }
    /// Open cases per worker holding any.
    public var openLoadPerWorker: Double? { workersWithOpenCases > 0 ? Double(open) / Double(workersWithOpenCases) : nil }
    public init(key: String, received: Int = 0, resolved: Int = 0, closed: Int = 0, finished: Int = 0, onTime: Int = 0, open: Int = 0,
                workersWithOpenCases: Int = 0, medianHoursToClose: Double? = nil, satisfaction: Double? = nil) {
        self.key = key
        self.received = received
        self.resolved = resolved
        self.closed = closed
        self.finished = finished
        self.onTime = onTime
        self.open = open
        self.workersWithOpenCases = workersWithOpenCases
        self.medianHoursToClose = medianHoursToClose
        self.satisfaction = satisfaction
    }
}

/// Residents (常住人口) per county, town, village and grid code, summed from the grids'
/// populations: what the 万人 rates are per.
public struct Residents: Sendable {
    private var byCode: [String: Int] = [:]

    public init(_ grids: [Grid]) {
        for g in grids {
            for n in [6, 9, 12, 15] where g.code.utf8.count >= n { byCode[String(g.code.prefix(n)), default: 0] += g.population }
        }
    }

    /// The residents of a figures row's unit (nil for groupings that are not places).
    public func of(_ key: String, by grouping: CaseGrouping) -> Int? {
        switch grouping {
        case .county, .town, .village, .grid: byCode[key]
        case .category, .channel, .unit: nil
        }
    }
}
