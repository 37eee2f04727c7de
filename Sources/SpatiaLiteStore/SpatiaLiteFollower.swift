import Cases
import Foundation
import Grid

/// The process's one reader of committed changes in a SpatiaLite file. Every 100 ms it asks SQLite
/// whether any connection (of this process or another) has committed since (`PRAGMA data_version`:
/// no read of the file); when one has, or when a writer of this process asks (`catchUp`), it reads
/// the new case events with their cases, the layer version and the change marks, and publishes
/// them into the feed in the database's order.
final class SpatiaLiteFollower: ChangeFollower, @unchecked Sendable {
    // @unchecked: `database`, `position` and `dataVersion` are touched only on `queue`.
    private let database: Database
    private let store: SpatiaLiteCaseStore
    private let field: SpatiaLiteFieldStore
    private weak var feed: ChangeFeed?
    private var position: FeedPosition
    private var dataVersion: Int64 = -1
    private let queue = DispatchQueue(label: "wangge.feed-follower", qos: .userInitiated)
    private let timer: DispatchSourceTimer
    /// Writers' requests to read now: one read for all who asked meanwhile.
    private var catchUps: Rounds<@Sendable () -> Void>!
    static let interval: DispatchTimeInterval = .milliseconds(100)

    init(path: String, feed: ChangeFeed, from position: FeedPosition) throws {
        database = try Database(path: path, create: false)
        store = SpatiaLiteCaseStore(database: database)
        field = SpatiaLiteFieldStore(database: database)
        self.feed = feed
        self.position = position
        timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + Self.interval, repeating: Self.interval)
        timer.setEventHandler { [weak self] in self?.tick() }
        catchUps = Rounds(queue: queue) { [weak self] dones in
            self?.read()
            for d in dones { d() }
        }
        timer.resume()
    }

    deinit { timer.cancel() }

    func catchUp(_ done: @escaping @Sendable () -> Void) { catchUps.request(done) }

    private func tick() {
        guard let v = try? database.scalar("PRAGMA data_version").int, v != dataVersion else { return }
        dataVersion = v
        read()
    }

    /// Reads and publishes everything past `position`. A failed read is tried again at the next
    /// tick (the position does not move, and the next tick reads whatever `data_version` says).
    private func read() {
        guard let feed else { return }
        do {
            let (changes, reached) = try ChangeFeed.changes(from: position, to: try Schema.position(database), in: store, field: field)
            position = reached
            feed.publish(changes, reaching: reached)
        } catch {
            dataVersion = -1   // unavailable for a moment (I/O): the next tick reads again
        }
    }
}
