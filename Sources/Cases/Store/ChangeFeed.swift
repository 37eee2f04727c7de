import Foundation
import Grid
import Synchronization

/// A committed change, as every cache and stream of the process learns of it.
public enum Change: Sendable {
    /// A row of the append-only case events, with the case as it stood when the change was read.
    case caseEvent(RecordedEvent, Case)
    /// A new live grid layer (publish, import, rollback).
    case layer(version: Int)
    /// Plans were created, edited, published or discarded.
    case plans
    /// Tokens were created or revoked.
    case tokens
    /// Committees and departments (their names, categories and routing rules) were imported.
    case units
    /// Workers' phones reported where they are (the newest of each, in the order they were kept).
    case positions([WorkerPosition])
}

/// How far the feed has gone in each kind of change. Case events are counted by event id (the SSE
/// ids), the layer by version, plans and tokens by a counter the database keeps, positions by the
/// mark of the latest kept.
public struct FeedPosition: Sendable, Hashable {
    public var caseEvent: Int64
    public var layerVersion: Int
    public var plans: Int64
    public var tokens: Int64
    public var positions: Int64
    public var units: Int64
    public init(caseEvent: Int64 = 0, layerVersion: Int = 0, plans: Int64 = 0, tokens: Int64 = 0, positions: Int64 = 0, units: Int64 = 0) {
        self.units = units
        self.caseEvent = caseEvent
        self.layerVersion = layerVersion
        self.plans = plans
        self.tokens = tokens
        self.positions = positions
    }
}

/// The one reader of committed changes in a process (a backend's): it notices what any process
/// commits, reads it once, and publishes it into the feed.
public protocol ChangeFollower: AnyObject, Sendable {
    /// Reads what has been committed by now, publishes it, then calls `done`. A writer calls this
    /// after its commits, so that by the time its callers are answered every subscriber has seen
    /// their change.
    func catchUp(_ done: @escaping @Sendable () -> Void)
}

/// One change feed per process: every committed change is published once, in the database's
/// order, to every subscriber (the open-case index, tile and response caches, the map collections,
/// the locator, SSE streams), whichever process made it. Only a `ChangeFollower` publishes.
public final class ChangeFeed: Sendable {
    public typealias Handler = @Sendable ([Change]) -> Void
    private let state: Mutex<(position: FeedPosition, handlers: [Int: Handler], next: Int)>
    private let caseBatches = Atomic<Int>(0)
    /// Weak: the follower is its starter's to keep (it stops when released).
    private let followerBox = Mutex<WeakFollower>(WeakFollower())
    private struct WeakFollower: @unchecked Sendable { weak var value: (any ChangeFollower)? }

    public init(position: FeedPosition) { state = Mutex((position, [:], 0)) }

    /// Where the feed stands: everything up to here has been published.
    public var position: FeedPosition { state.withLock { $0.position } }

    /// Counts published batches that held case events: a stamp for whatever caches cases.
    public var caseStamp: Int { caseBatches.load(ordering: .acquiring) }

    /// Calls `handler` with every batch published from now on, in order, on the follower's thread
    /// (so it must be quick: hand work elsewhere). Returns the position at subscription, so that a
    /// subscriber that reads history can stop where the live batches begin.
    @discardableResult
    public func subscribe(_ handler: @escaping Handler) -> (FeedSubscription, FeedPosition) {
        state.withLock { s in
            let id = s.next
            s.next += 1
            s.handlers[id] = handler
            return (FeedSubscription { [weak self] in self?.unsubscribe(id) }, s.position)
        }
    }

    private func unsubscribe(_ id: Int) { _ = state.withLock { $0.handlers.removeValue(forKey: id) } }

    /// Published batches as an async sequence (SSE streams); ends when the subscription goes.
    public func stream() -> (AsyncStream<[Change]>, FeedSubscription, FeedPosition) {
        let (stream, continuation) = AsyncStream<[Change]>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        let (subscription, position) = subscribe { continuation.yield($0) }
        subscription.onCancel { continuation.finish() }
        return (stream, subscription, position)
    }

    /// For the follower: publishes a batch (read in the database's order) and the position it
    /// reaches. Handlers run in order on the caller's thread.
    public func publish(_ changes: [Change], reaching position: FeedPosition) {
        let handlers = state.withLock { s -> [Handler] in
            s.position = position
            return s.handlers.keys.sorted().compactMap { s.handlers[$0] }
        }
        if changes.contains(where: { if case .caseEvent = $0 { true } else { false } }) { caseBatches.add(1, ordering: .releasing) }
        guard !changes.isEmpty else { return }
        for h in handlers { h(changes) }
    }

    /// The follower that feeds this feed (the backend sets it when it starts following).
    public func attach(_ follower: any ChangeFollower) { followerBox.withLock { $0.value = follower } }

    /// After a commit: `done` runs once the feed has published it (at once when nothing follows).
    public func committed(_ done: @escaping @Sendable () -> Void) {
        if let f = followerBox.withLock({ $0.value }) { f.catchUp(done) } else { done() }
    }
}

extension ChangeFeed {
    /// What a follower publishes: everything committed between `position` and `now` (the database's
    /// position), the case events with their cases as they stand, read through `store`, and the
    /// positions kept since, through `field`.
    public static func changes(from position: FeedPosition, to now: FeedPosition, in store: any CaseStore, field: any FieldStore) throws -> ([Change], FeedPosition) {
        var changes: [Change] = []
        var reached = position
        while reached.caseEvent < now.caseEvent {
            let events = try store.events(after: reached.caseEvent, limit: 1000)
            guard let last = events.last else { break }
            // The cases as they stand now (a later event of the same case may follow).
            let cases = try store.find(ids: Array(Set(events.map(\.caseID))))
            let byID = Dictionary(cases.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            changes += events.compactMap { e in byID[e.caseID].map { .caseEvent(e, $0) } }
            reached.caseEvent = last.id
        }
        reached.caseEvent = max(reached.caseEvent, now.caseEvent)
        if now.layerVersion != position.layerVersion { changes.append(.layer(version: now.layerVersion)) }
        if now.plans != position.plans { changes.append(.plans) }
        if now.tokens != position.tokens { changes.append(.tokens) }
        if now.units != position.units { changes.append(.units) }
        if now.positions > position.positions {
            let moved = try field.positions(after: position.positions)
            if !moved.isEmpty { changes.append(.positions(moved.map(\.position))) }
            reached.positions = max(now.positions, moved.last?.mark ?? 0)
        }
        reached.layerVersion = now.layerVersion
        reached.plans = now.plans
        reached.tokens = now.tokens
        reached.units = now.units
        return (changes, reached)
    }
}

/// Keeps a subscription alive; unsubscribes when cancelled or released.
public final class FeedSubscription: Sendable {
    private let cancelBox: Mutex<[@Sendable () -> Void]>
    init(_ cancel: @escaping @Sendable () -> Void) { cancelBox = Mutex([cancel]) }
    func onCancel(_ f: @escaping @Sendable () -> Void) { cancelBox.withLock { $0.append(f) } }
    public func cancel() {
        let fs = cancelBox.withLock { c -> [@Sendable () -> Void] in defer { c = [] }; return c }
        for f in fs { f() }
    }
    deinit { cancel() }
}
