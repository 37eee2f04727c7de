import Cases
import Foundation
import Geo
import Grid
import Synchronization

/// What one read connection offers: the stores over it, and a dispatcher (for unit names and
/// tracking) that is built the first time it is needed.
public final class Reader {
    public let grids: SpatiaLiteGridStore
    public let cases: SpatiaLiteCaseStore
    public let tokens: TokenStore
    private var dispatcherCache: Dispatcher?
    fileprivate var generation = 0

    init(path: String) throws {
        grids = try SpatiaLiteGridStore.open(path: path)
        cases = try SpatiaLiteCaseStore(database: grids.database)
        tokens = try TokenStore(database: grids.database)
    }

    public func dispatcher() throws -> Dispatcher {
        if let d = dispatcherCache { return d }
        let d = try Dispatcher(gridStore: grids)
        dispatcherCache = d
        return d
    }
}

/// A few read connections, each on its own serial queue (a connection serves one thread at a time);
/// WAL lets them read while the writer commits. Requests take them in turn.
public final class ReaderPool: @unchecked Sendable {
    // @unchecked: each reader is touched only on its own queue; `next` is atomic.
    private let readers: [Reader]
    private let queues: [DispatchQueue]
    private let next = Atomic<Int>(0)
    /// Bumped when the grid layer changes, so a reader's dispatcher reloads before its next use.
    private let generation = Atomic<Int>(0)

    public init(path: String, count: Int) throws {
        readers = try (0..<max(count, 1)).map { _ in try Reader(path: path) }
        queues = readers.indices.map { DispatchQueue(label: "wangge.reader.\($0)") }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (Reader) throws -> T) async throws -> T {
        let k = next.add(1, ordering: .relaxed).newValue % readers.count
        let current = generation.load(ordering: .acquiring)
        return try await withCheckedThrowingContinuation { c in
            queues[k].async {
                let r = self.readers[k]
                c.resume(with: Result {
                    if r.generation != current {
                        r.generation = current
                        try r.dispatcher().reload()
                    }
                    return try body(r)
                })
            }
        }
    }

    public func layerChanged() { generation.add(1, ordering: .releasing) }
}
