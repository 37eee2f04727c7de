import Foundation
import Geo
import Grid
import Synchronization

/// The one writer of a Wangge database, for concurrent callers (the server's requests).
///
/// Its `Dispatcher` (and so its connection) lives on one serial queue, a thread of its own, so that
/// waiting for the disk never holds up Swift's cooperative threads. Intakes use group commit: those
/// that arrive while a transaction is being written wait and go into the next one, all in one
/// transaction; one refused request does not sink the others (see `write`). Making a commit durable
/// is the connection's (`afterDurable`), off this queue, while the writer goes on with the next
/// transaction. A caller is answered once its change is durable and the change feed has published
/// it, so whatever the caller asks next (items, tiles, the SSE feed) already shows it.
public final class CaseDesk: @unchecked Sendable {
    // @unchecked: `dispatcher` is touched only on `queue` (where `intakes` runs its rounds).
    private let dispatcher: Dispatcher
    private let feed: ChangeFeed?
    private let queue = DispatchQueue(label: "wangge.case-desk", qos: .userInitiated)
    private typealias Pending = (IntakeRequest, Actor, Date, CheckedContinuation<Case, Error>)
    /// Group commit: the intakes that arrived while a transaction was written go into the next.
    private var intakes: Rounds<Pending>!
    private typealias PendingPosition = (WorkerPosition, CheckedContinuation<Void, Error>)
    /// Group commit of workers' positions, as of intakes: one transaction for all that waited.
    private var positions: Rounds<PendingPosition>!

    /// - Parameter feed: the process's change feed, told of each commit (nil: nothing follows).
    public init(dispatcher: sending Dispatcher, feed: ChangeFeed? = nil) {
        self.dispatcher = dispatcher
        self.feed = feed
        intakes = Rounds(queue: queue) { [weak self] batch in
            guard let self else {
                for p in batch { p.3.resume(throwing: StoreError(.unavailable, "the server is stopping")) }
                return
            }
            self.commit(batch)
        }
        positions = Rounds(queue: queue) { [weak self] batch in
            guard let self else {
                for p in batch { p.1.resume(throwing: StoreError(.unavailable, "the server is stopping")) }
                return
            }
            let result = Result { try self.dispatcher.store.field.save(positions: batch.map(\.0)) }
            // Answered once committed and published, without waiting for the disk: a position is
            // replaced by the phone's next one in seconds, and a committed write survives a crash
            // of the process (only a power cut could lose the last few milliseconds of them).
            self.published {
                for p in batch { p.1.resume(with: result) }
            }
        }
    }

    /// A worker's last position, kept with whatever others arrived meanwhile (an older one than
    /// the stored is ignored).
    public func report(_ p: WorkerPosition) async throws {
        try await withCheckedThrowingContinuation { c in positions.request((p, c)) }
    }

    /// A new dispute, committed with whatever else arrived meanwhile.
    public func intake(_ r: IntakeRequest, actor: Actor, now: Date = Date()) async throws -> Case {
        try await withCheckedThrowingContinuation { c in intakes.request((r, actor, now, c)) }
    }

    /// Any other change (or a read that must see the writer's state), alone on the writer's queue.
    public func perform<T: Sendable>(_ body: @escaping @Sendable (Dispatcher) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in
            queue.async {
                let result = Result { try body(self.dispatcher) }
                self.acknowledge { error in c.resume(with: error.map { .failure($0) } ?? result) }
            }
        }
    }

    /// Calls `answer` once what the writer has committed is durable and published.
    private func acknowledge(_ answer: @escaping @Sendable (Error?) -> Void) {
        let both = Rendezvous(count: feed == nil ? 1 : 2, answer)
        dispatcher.store.afterDurable { both.arrive($0) }
        feed?.committed { both.arrive(nil) }
    }

    /// Calls `answer` once the change feed has published what the writer has committed.
    private func published(_ answer: @escaping @Sendable () -> Void) {
        guard let feed else { return answer() }
        feed.committed(answer)
    }

    private struct RetryWithSavepoints: Error {}

    /// The batch in one transaction. Without savepoints first: an intake refused for what it asks
    /// (a `CaseError`) has written nothing, so the others can commit. A store error may have left
    /// half a case behind: then the whole transaction is rolled back and the batch is written again
    /// with a savepoint per intake, so that only that one fails.
    private func write(_ batch: [Pending], savepoints: Bool) throws -> [Result<Case, Error>] {
        let body = { batch.map { (r, a, t, _) in Result { try self.dispatcher.intake(r, actor: a, now: t) } } }
        if savepoints { return try dispatcher.store.write(body) }
        return try dispatcher.store.writeBatch {
            let results = body()
            if results.contains(where: { if case .failure(let e) = $0 { e is StoreError } else { false } }) { throw RetryWithSavepoints() }
            return results
        }
    }

    private func commit(_ batch: [Pending]) {
        var results: [Result<Case, Error>] = []
        do {
            results = try write(batch, savepoints: false)
        } catch is RetryWithSavepoints {
            dispatcher.forgetUncommitted()
            do { results = try write(batch, savepoints: true) } catch {
                results = batch.map { _ in .failure(error) }
                dispatcher.forgetUncommitted()
            }
        } catch {
            results = batch.map { _ in .failure(error) }   // the commit itself failed: nothing is stored
            dispatcher.forgetUncommitted()
        }
        let waiting = batch.map(\.3)
        acknowledge { [results] error in
            for (k, c) in waiting.enumerated() { c.resume(with: error.map { .failure($0) } ?? results[k]) }
        }
    }
}

/// Calls its action once `count` parties have arrived, with the first error any of them brought.
private final class Rendezvous: Sendable {
    private let state: Mutex<(left: Int, error: Error?)>
    private let action: @Sendable (Error?) -> Void
    init(count: Int, _ action: @escaping @Sendable (Error?) -> Void) {
        state = Mutex((count, nil))
        self.action = action
    }
    func arrive(_ error: Error?) {
        let done = state.withLock { s -> (Bool, Error?) in
            s.left -= 1
            if s.error == nil { s.error = error }
            return (s.left == 0, s.error)
        }
        if done.0 { action(done.1) }
    }
}
