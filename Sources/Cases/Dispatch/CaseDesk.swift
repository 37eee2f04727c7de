import Foundation
import Synchronization

/// The one writer of a Wangge database, for concurrent callers (the server's requests).
///
/// Its `Dispatcher` (and so its connection) lives on one serial queue, a thread of its own, so that
/// waiting for the disk never holds up Swift's cooperative threads. Intakes use group commit: those
/// that arrive while a commit is being written wait and go into the next one, all in one transaction,
/// each in its own savepoint so that one refused request does not sink the others. Every caller
/// returns only after its change is committed (durable: `synchronous=FULL`).
public final class CaseDesk: @unchecked Sendable {
    // @unchecked: `dispatcher` is touched only on `queue`; `pending` is behind its mutex.
    private let dispatcher: Dispatcher
    private let queue = DispatchQueue(label: "wangge.case-desk", qos: .userInitiated)
    private typealias Pending = (IntakeRequest, Actor, Date, CheckedContinuation<Case, Error>)
    private let pending = Mutex<(items: [Pending], scheduled: Bool)>(([], false))
    private let changes = Atomic<Int>(0)

    /// Counts the writes this desk has committed, bumped before their callers resume: whoever caches
    /// what the database says (the server's case tiles) keys it by this.
    public var changeCount: Int { changes.load(ordering: .acquiring) }

    public init(dispatcher: sending Dispatcher) {
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
                c.resume(with: result)
            }
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
                try dispatcher.cases.database.transaction {
                    for (r, a, t, _) in batch { results.append(Result { try dispatcher.intake(r, actor: a, now: t) }) }
                }
            } catch {
                results = batch.map { _ in .failure(error) }   // the commit itself failed: nothing is stored
            }
            if results.contains(where: { if case .success = $0 { true } else { false } }) { changes.add(1, ordering: .releasing) }
            for (k, b) in batch.enumerated() { b.3.resume(with: results[k]) }
        }
    }
}
