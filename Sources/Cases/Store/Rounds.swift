import Foundation
import Synchronization

/// Rounds of one piece of work on a serial queue, shared by whoever asked meanwhile: a request that
/// arrives while a round runs waits for the next one, and one round answers every request that was
/// waiting when it began (one transaction of intakes, one `fdatasync`, one read of the change feed,
/// for many callers).
public final class Rounds<Request: Sendable>: Sendable {
    private let queue: DispatchQueue
    private let pending = Mutex<(waiting: [Request], scheduled: Bool)>(([], false))
    private let round: @Sendable ([Request]) -> Void

    /// `round` runs on `queue` with the requests it answers (never an empty list).
    public init(queue: DispatchQueue, round: @escaping @Sendable ([Request]) -> Void) {
        self.queue = queue
        self.round = round
    }

    public func request(_ r: Request) {
        let schedule = pending.withLock { p in
            p.waiting.append(r)
            defer { p.scheduled = true }
            return !p.scheduled
        }
        if schedule { queue.async { self.drain() } }
    }

    private func drain() {
        while true {
            let waiting = pending.withLock { p in
                let w = p.waiting
                p.waiting = []
                if w.isEmpty { p.scheduled = false }
                return w
            }
            if waiting.isEmpty { return }
            round(waiting)
        }
    }
}
