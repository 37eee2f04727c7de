import Cases
import Foundation
import Grid

/// A Wangge database in PostgreSQL with PostGIS (`--db postgresql://user@host:port/name`): for a
/// prefecture or a province, several servers on one database. Each commit is durable when it returns
/// (PostgreSQL's own group commit makes that cheap with many callers).
public struct PostGISBackend: StoreBackend {
    public let url: String
    public init(url: String) { self.url = url }
    public var location: String { PGConnection.redacted(url) }

    public static func accepts(_ db: String) -> Bool { db.hasPrefix("postgresql://") || db.hasPrefix("postgres://") }

    public func migrate(create: Bool) throws -> [String] {
        return try PostGISSchema.migrate(try open(create: create))
    }

    private func open(create: Bool) throws -> PGConnection {
        do {
            return try PGConnection(url: url)
        } catch {
            guard create, (error.detail ?? "").contains("does not exist") else { throw error }
        }
        try createDatabase()
        return try PGConnection(url: url)
    }

    /// `CREATE DATABASE` through the server's `postgres` database (for `wangge init` and `demo`).
    private func createDatabase() throws {
        guard let slash = url.range(of: "/", options: .backwards), !url[slash.upperBound...].isEmpty,
              url[..<slash.lowerBound].contains("://") else {
            throw StoreError(.schema, "\(location) names no database")
        }
        let tail = url[slash.upperBound...]
        let name = String(tail.prefix { $0 != "?" })
        let admin = String(url[..<slash.upperBound]) + "postgres" + tail.dropFirst(name.count)
        let db = try PGConnection(url: admin)
        try db.execute("CREATE DATABASE \"\(name.replacingOccurrences(of: "\"", with: "\"\""))\"")
    }

    public func connect(_ role: ConnectionRole) throws -> any StoreConnection {
        let db = try PGConnection(url: url)
        try PostGISSchema.check(db)
        return PostGISConnection(db)
    }

    public func follow(into feed: ChangeFeed, from position: FeedPosition) throws -> any ChangeFollower {
        let f = try PostGISFollower(url: url, feed: feed, from: position)
        feed.attach(f)
        return f
    }
}

/// One PostgreSQL connection and the stores over it.
final class PostGISConnection: StoreConnection {
    let db: PGConnection
    let grids: any GridStore
    let cases: any CaseStore
    let field: any FieldStore
    let tokens: any TokenStore

    init(_ db: PGConnection) {
        self.db = db
        grids = PostGISGridStore(db: db)
        cases = PostGISCaseStore(db: db)
        field = PostGISFieldStore(db: db)
        tokens = PostGISTokenStore(db: db)
    }

    func write<T>(_ body: () throws -> T) throws -> T { try db.transaction(body) }
    func writeBatch<T>(_ body: () throws -> T) throws -> T { try db.transaction { try db.withoutSavepoints(body) } }
    /// Committed is durable here (`synchronous_commit` on).
    func afterDurable(_ done: @escaping @Sendable (Error?) -> Void) { done(nil) }
    func feedPosition() throws -> FeedPosition { try PostGISSchema.position(db) }
}

extension PostGISBackend {
    /// Runs one statement on the database under a PostGIS store connection and returns its rows as
    /// text (for tests and tools that check the database itself); nil for another backend's.
    public static func query(_ sql: String, on connection: any StoreConnection) throws -> [[String?]]? {
        guard let c = connection as? PostGISConnection else { return nil }
        return try c.db.query(sql).map(\.fields)
    }
}

extension PostGISBackend {
    /// Runs statements without results on the database under a PostGIS store connection (tests
    /// that set up faults); false for another backend's.
    public static func execute(_ sql: String, on connection: any StoreConnection) throws -> Bool {
        guard let c = connection as? PostGISConnection else { return false }
        try c.db.execute(sql)
        return true
    }
}
