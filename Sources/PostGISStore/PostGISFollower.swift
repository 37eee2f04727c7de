import Cases
import Foundation
import Grid

/// The process's one reader of committed changes in a PostGIS database. It LISTENs on channel
/// `wangge` (the schema's triggers notify at commit, whichever server or tool writes) and reads by
/// position: the case events after the last id it published, the layer version and the change
/// marks. After a lost connection it reconnects and catches up by the same position, so nothing
/// committed meanwhile is missed; a read every second covers a notification lost with a connection.
final class PostGISFollower: ChangeFollower, @unchecked Sendable {
    // @unchecked: `db`, `store`, `source` and `position` are touched only on `queue`.
    private let url: String
    private var db: PGConnection?
    private var store: PostGISCaseStore?
    private var source: DispatchSourceRead?
    private weak var feed: ChangeFeed?
    private var position: FeedPosition
    private let queue = DispatchQueue(label: "wangge.feed-follower", qos: .userInitiated)
    private let timer: DispatchSourceTimer
    private var catchUps: Rounds<@Sendable () -> Void>!
    static let interval: DispatchTimeInterval = .seconds(1)

    init(url: String, feed: ChangeFeed, from position: FeedPosition) throws {
        self.url = url
        self.feed = feed
        self.position = position
        timer = DispatchSource.makeTimerSource(queue: queue)
        try queue.sync { try connect() }
        timer.schedule(deadline: .now() + Self.interval, repeating: Self.interval)
        timer.setEventHandler { [weak self] in self?.tick() }
        catchUps = Rounds(queue: queue) { [weak self] dones in
            self?.read()
            for d in dones { d() }
        }
        timer.resume()
    }

    deinit {
        timer.cancel()
        source?.cancel()
    }

    func catchUp(_ done: @escaping @Sendable () -> Void) { catchUps.request(done) }

    private func connect() throws {
        let c = try PGConnection(url: url)
        c.reconnects = false
        try c.execute("LISTEN wangge")
        let s = DispatchSource.makeReadSource(fileDescriptor: c.socket, queue: queue)
        s.setEventHandler { [weak self] in self?.readable() }
        // The connection (and its socket) lives until the source is cancelled.
        s.setCancelHandler { withExtendedLifetime(c) {} }
        s.resume()
        db = c
        store = PostGISCaseStore(db: c)
        source = s
    }

    private func disconnect() {
        source?.cancel()
        source = nil
        store = nil
        db = nil
    }

    private func readable() {
        guard let db else { return }
        guard db.consume(), !db.isBroken else { disconnect(); return }
        if !db.notifications().isEmpty { read() }
    }

    private func tick() {
        if db == nil { try? connect() }
        read()
    }

    /// Reads and publishes everything past `position`; on failure the position stays and the next
    /// tick reconnects and reads again.
    private func read() {
        guard let feed, let db, let store else { return }
        do {
            _ = db.notifications()
            let (changes, reached) = try ChangeFeed.changes(from: position, to: try PostGISSchema.position(db), in: store, field: PostGISFieldStore(db: db))
            position = reached
            feed.publish(changes, reaching: reached)
        } catch {
            if db.isBroken { disconnect() }
        }
    }
}
