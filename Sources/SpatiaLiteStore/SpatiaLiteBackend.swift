import Cases
import Foundation
import Grid

/// A Wangge database in one SpatiaLite file: the embedded default, for a county.
public struct SpatiaLiteBackend: StoreBackend {
    public let path: String
    public init(path: String) { self.path = path }
    public var location: String { path }

    public func migrate(create: Bool) throws -> [String] {
        guard create || FileManager.default.fileExists(atPath: path) else {
            throw StoreError(.schema, "\(path) does not exist: create it with `wangge init --db \(path)` (or `wangge demo --db \(path)`)")
        }
        let db = try Database(path: path, create: create)
        guard !db.isReadOnly else { throw StoreError(.unavailable, "\(path) is read-only: check its permissions and its folder's") }
        let before = try Schema.applied(db)
        try Schema.refuseNewer(before, path: path)   // a newer program's file is left alone
        try db.migrate(Schema.migrations)
        return Schema.steps.filter { !before.contains($0) }
    }

    public func connect(_ role: ConnectionRole) throws -> any StoreConnection {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError(.schema, "\(path) does not exist: create it with `wangge init --db \(path)` (or `wangge demo --db \(path)`)")
        }
        let db = try Database(path: path, create: false)
        try Schema.check(db, path: path)
        if role != .reader && db.isReadOnly {
            throw StoreError(.unavailable, "\(path) is read-only: check its permissions and its folder's")
        }
        return try SpatiaLiteConnection(db, role: role)
    }

    public func follow(into feed: ChangeFeed, from position: FeedPosition) throws -> any ChangeFollower {
        let f = try SpatiaLiteFollower(path: path, feed: feed, from: position)
        feed.attach(f)
        return f
    }
}

/// One SQLite connection and the stores over it.
final class SpatiaLiteConnection: StoreConnection {
    let database: Database
    let grids: any GridStore
    let cases: any CaseStore
    let tokens: any TokenStore
    let field: any FieldStore
    /// The writer's: durability off its thread, and the log copied beside it.
    private let flusher: WALFlusher?
    private let checkpointer: Checkpointer?

    init(_ database: Database, role: ConnectionRole) throws {
        self.database = database
        grids = SpatiaLiteGridStore(database: database)
        cases = SpatiaLiteCaseStore(database: database)
        tokens = SpatiaLiteTokenStore(database: database)
        field = SpatiaLiteFieldStore(database: database)
        if role == .writer {
            flusher = try WALFlusher(database: database)
            // The checkpointer copies the log beside the writer; the writer's own checkpoint (its
            // threshold is the flusher's) then has little left to do and restarts the log, which
            // shrinks back to this size.
            try database.execute("PRAGMA journal_size_limit=\(64 << 20)")
            checkpointer = try Checkpointer(path: database.path)
            try Self.refreshStatistics(database)
        } else {
            flusher = nil
            checkpointer = nil
        }
    }

    /// The query planner's statistics for cases (`sqlite_stat1`), made when missing and again
    /// when the table has doubled: without them SQLite reads every case of a category rather than
    /// that category's cells in the box (a filter's `category = … AND S_INTERSECTS(…)`, 5 ms
    /// instead of 30 over 100,000 cases). ANALYZE takes 0.1 s at that size; connections opened
    /// after the writer (the server's readers) load the figures with the schema.
    static func refreshStatistics(_ database: Database) throws {
        // max(id) for the count: read from the end of the table's B-tree, not a scan at every open.
        let rows = try database.scalar("SELECT coalesce(max(id), 0) FROM cases").int ?? 0
        guard rows >= 1000 else { return }
        let stats = try database.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").int == 1
            ? try database.scalar("SELECT stat FROM sqlite_stat1 WHERE tbl = 'cases' AND idx = 'cases_category_cell'").text : nil
        let counted = stats.flatMap { $0.split(separator: " ").first.flatMap { Int64($0) } } ?? 0
        if counted == 0 || rows > 2 * counted { try database.execute("ANALYZE cases") }
    }

    func write<T>(_ body: () throws -> T) throws -> T { try database.transaction(body) }

    func writeBatch<T>(_ body: () throws -> T) throws -> T {
        try database.transaction { try database.withoutSavepoints(body) }
    }

    func afterDurable(_ done: @escaping @Sendable (Error?) -> Void) {
        if let flusher { flusher.afterSync(done) } else { done(nil) }
    }

    func feedPosition() throws -> FeedPosition { try Schema.position(database) }
}

extension SpatiaLiteBackend {
    /// The SQLite connection under a SpatiaLite store connection (for tests and tools that must
    /// check the file itself); nil for another backend's.
    public static func database(of connection: any StoreConnection) -> Database? { (connection as? SpatiaLiteConnection)?.database }
}
