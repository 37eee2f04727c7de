import Foundation

/// The intake desk for concurrent callers (the server's requests): group commit. Intakes that arrive
/// while a commit is being written wait and go into the next one, all in one transaction, each in its
/// own savepoint so that one refused request does not sink the others. Every caller returns only
/// after its case is committed (durable: `synchronous=FULL`).
public actor CaseDesk {
    private let dispatcher: Dispatcher
    private var pending: [(IntakeRequest, Actor, Date, CheckedContinuation<Case, Error>)] = []
    private var flushing = false

    public init(dispatcher: sending Dispatcher) {
        self.dispatcher = dispatcher
    }

    public func intake(_ r: IntakeRequest, actor: Actor, now: Date = Date()) async throws -> Case {
        try await withCheckedThrowingContinuation { c in
            pending.append((r, actor, now, c))
            if !flushing {
                flushing = true
                Task { await self.flush() }
            }
        }
    }

    private func flush() {
        while !pending.isEmpty {
            let batch = pending
            pending = []
            var results: [Result<Case, Error>] = []
            do {
                try dispatcher.cases.database.transaction {
                    for (r, a, t, _) in batch { results.append(Result { try dispatcher.intake(r, actor: a, now: t) }) }
                }
            } catch {
                results = batch.map { _ in .failure(error) }   // the commit itself failed: nothing is stored
            }
            for (k, b) in batch.enumerated() { b.3.resume(with: results[k]) }
        }
        flushing = false
    }
}
