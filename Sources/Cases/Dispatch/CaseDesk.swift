import Foundation
import Geo
import Synchronization

/// The one writer of a Wangge database, for concurrent callers (the server's requests).
///
/// Its `Dispatcher` (and so its connection) lives on one serial queue, a thread of its own, so that
/// waiting for the disk never holds up Swift's cooperative threads. Intakes use group commit: those
/// that arrive while a transaction is being written wait and go into the next one, all in one
/// transaction; one refused request does not sink the others (see `write`). The disk sync is not the writer's: a `WALFlusher` syncs the log on its own thread while the
/// writer goes on with the next transaction. Every caller returns only after its change is on disk.
public final class CaseDesk: @unchecked Sendable {
    // @unchecked: `dispatcher` is touched only on `queue`; `pending` is behind its mutex.
    private let dispatcher: Dispatcher
    private let flusher: WALFlusher
    private let queue = DispatchQueue(label: "wangge.case-desk", qos: .userInitiated)
    private typealias Pending = (IntakeRequest, Actor, Date, CheckedContinuation<Case, Error>)
    private let pending = Mutex<(items: [Pending], scheduled: Bool)>(([], false))
    private let changes = Atomic<Int>(0)

    /// Counts the writes this desk has committed, bumped before their callers resume: whoever caches
    /// what the database says (the server's case tiles) keys it by this.
    public var changeCount: Int { changes.load(ordering: .acquiring) }

    public init(dispatcher: sending Dispatcher) throws {
        flusher = try WALFlusher(database: dispatcher.cases.database)
        self.dispatcher = dispatcher
    }

    /// A new dispute, committed with whatever else arrived meanwhile.
    public func intake(_ r: IntakeRequest, actor: Actor, now: Date = Date()) async throws -> Case {
        try await withCheckedThrowingContinuation { c in
            let schedule = pending.withLock { p in
                p.items.append((r, actor, now, c))
                defer { p.scheduled = true }
                return !p.scheduled
            }
            if schedule { queue.async { self.flush() } }
        }
    }

    /// Any other change (or a read that must see the writer's state), alone on the writer's queue.
    public func perform<T: Sendable>(_ body: @escaping @Sendable (Dispatcher) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in
            queue.async {
                let result = Result { try body(self.dispatcher) }
                if case .success = result { self.changes.add(1, ordering: .releasing) }
                self.flusher.afterSync { error in c.resume(with: error.map { .failure($0) } ?? result) }
            }
        }
    }

    private struct RetryWithSavepoints: Error {}

    /// The batch in one transaction. Without savepoints first: an intake refused for what it asks
    /// (a `CaseError`) has written nothing, so the others can commit. A store error may have left
    /// half a case behind: then the whole transaction is rolled back and the batch is written again
    /// with a savepoint per intake, so that only that one fails.
    private func write(_ batch: [Pending], savepoints: Bool) throws -> [Result<Case, Error>] {
        let database = dispatcher.cases.database
        return try database.transaction {
            let body = { batch.map { (r, a, t, _) in Result { try self.dispatcher.intake(r, actor: a, now: t) } } }
            let results = savepoints ? body() : database.withoutSavepoints(body)
            if !savepoints, results.contains(where: { if case .failure(let e) = $0 { e is StoreError } else { false } }) {
                throw RetryWithSavepoints()
            }
            return results
        }
    }

    private func flush() {
        while true {
            let batch: [Pending] = pending.withLock { p in
                let items = p.items
                p.items = []
                if items.isEmpty { p.scheduled = false }
                return items
            }
            if batch.isEmpty { return }
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
            if results.contains(where: { if case .success = $0 { true } else { false } }) { changes.add(1, ordering: .releasing) }
            let waiting = batch.map(\.3)
            flusher.afterSync { [results] error in
                for (k, c) in waiting.enumerated() { c.resume(with: error.map { .failure($0) } ?? results[k]) }
            }
        }
    }
}
