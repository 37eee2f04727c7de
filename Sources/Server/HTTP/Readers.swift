import Cases
import Foundation
import Synchronization

/// A read connection's stores.
public typealias Reader = any StoreConnection

/// A few read connections, each on its own serial queue (a connection serves one thread at a time);
/// the backend lets them read while the writer commits. Requests take them in turn.
public final class ReaderPool: @unchecked Sendable {
    // @unchecked: each reader is touched only on its own queue; `next` is atomic.
    private let readers: [Reader]
    private let queues: [DispatchQueue]
    private let next = Atomic<Int>(0)

    public init(backend: any StoreBackend, count: Int) throws {
        readers = try (0..<max(count, 1)).map { _ in try backend.connect(.reader) }
        queues = readers.indices.map { DispatchQueue(label: "wangge.reader.\($0)") }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (Reader) throws -> T) async throws -> T {
        let k = next.add(1, ordering: .relaxed).newValue % readers.count
        return try await withCheckedThrowingContinuation { c in
            queues[k].async { c.resume(with: Result { try body(self.readers[k]) }) }
        }
    }
}
