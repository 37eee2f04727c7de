import Foundation
import Synchronization

/// How many reports a sender (an address, a phone number) may make: so many an hour and so many a
/// day, counted over the last hour and day. In memory (one server's count; a restart forgets), a
/// bounded number of senders.
final class ReportLimiter: Sendable {
    let perHour: Int
    let perDay: Int
    private let times = Mutex<[String: [Date]]>([:])
    static let maxSenders = 200_000

    init(perHour: Int = 5, perDay: Int = 20) {
        self.perHour = perHour
        self.perDay = perDay
    }

    /// Seconds until `sender` may report again, or nil when it may now.
    func wait(_ sender: String, now: Date = Date()) -> Int? {
        times.withLock { t in
            let recent = (t[sender] ?? []).filter { now.timeIntervalSince($0) < 86400 }
            t[sender] = recent
            let lastHour = recent.filter { now.timeIntervalSince($0) < 3600 }
            if lastHour.count >= perHour, let oldest = lastHour.min() { return max(1, Int((oldest + 3600).timeIntervalSince(now).rounded(.up))) }
            if recent.count >= perDay, let oldest = recent.min() { return max(1, Int((oldest + 86400).timeIntervalSince(now).rounded(.up))) }
            return nil
        }
    }

    func record(_ sender: String, now: Date = Date()) {
        times.withLock { t in
            if t.count >= Self.maxSenders { t = t.filter { $0.value.contains { now.timeIntervalSince($0) < 86400 } } }
            if t.count < Self.maxSenders { t[sender, default: []].append(now) }
        }
    }
}
