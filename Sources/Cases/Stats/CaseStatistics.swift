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
