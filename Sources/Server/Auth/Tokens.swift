import Crypto
import Foundation
import Geo

/// What a bearer of a token may do. The public (no token) may only track a case by its code, and read
/// the map collections the operator made public.
public enum Role: String, Sendable, CaseIterable {
    /// Redraws grids: plans, validation, publish, workers and duty.
    case planner
    /// Takes disputes and camera alerts, assigns and follows them; sees the parties' personal data.
    case dispatcher
    /// A grid worker (网格员): the cases of their own grids, with the parties they must meet.
    case worker
    /// Leaders' screens: every map layer and figure, no personal data.
    case viewer
}

/// Who is calling.
public struct Identity: Sendable, Hashable {
    public var tokenID: Int64
    public var name: String
    public var role: Role
    /// For `worker` tokens: the worker whose grids bound what they see.
    public var workerID: Int64?
}

/// Bearer tokens, stored as SHA-256 digests: the token itself is shown once, at creation, and
/// cannot be read back from the database.
public final class TokenStore {
    let database: Database

    public static let migrations: [Migration] = [
        Migration(module: "auth", number: 1, sql: """
            CREATE TABLE api_tokens(
              id INTEGER PRIMARY KEY,
              name TEXT NOT NULL,
              role TEXT NOT NULL CHECK(role IN ('planner','dispatcher','worker','viewer')),
              worker_id INTEGER,
              digest TEXT NOT NULL UNIQUE,
              created_at TEXT NOT NULL,
              revoked_at TEXT,
              CHECK((role = 'worker') = (worker_id IS NOT NULL)));
            """),
    ]

    public init(database: Database) throws {
        self.database = database
        try database.migrate(Self.migrations)
    }

    static func digest(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Creates a token and returns it with its row id; the clear text is never stored.
    public func create(name: String, role: Role, workerID: Int64? = nil) throws -> (id: Int64, token: String) {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw StoreError("a token needs a name (who holds it)") }
        if role == .worker {
            guard let w = workerID else { throw StoreError("a worker token needs --worker ID") }
            guard try database.scalar("SELECT count(*) FROM workers WHERE id = ?", [.integer(w)]).int == 1 else {
                throw StoreError("no worker \(w)")
            }
        } else if workerID != nil {
            throw StoreError("--worker applies to worker tokens only")
        }
        var rng = SystemRandomNumberGenerator()   // getrandom(2): cryptographically secure
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let token = "wg_" + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        try database.prepare("INSERT INTO api_tokens(name, role, worker_id, digest, created_at) VALUES (?, ?, ?, ?, ?)")
            .run([.text(name), .text(role.rawValue), workerID.map { .integer($0) } ?? .null, .text(Self.digest(token)),
                  .text(ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withInternetDateTime]))])
        return (database.lastInsertRowID, token)
    }

    /// The identity behind a token, or nil when it is unknown or revoked.
    public func identity(token: String) throws -> Identity? {
        guard let r = try database.prepare("SELECT id, name, role, worker_id FROM api_tokens WHERE digest = ? AND revoked_at IS NULL")
            .rows([.text(Self.digest(token))]).first, let role = Role(rawValue: r[2].text ?? "") else { return nil }
        return Identity(tokenID: r[0].int ?? 0, name: r[1].text ?? "", role: role, workerID: r[3].int)
    }

    /// Revokes a token by its id; false when there is no such live token.
    public func revoke(id: Int64) throws -> Bool {
        try database.prepare("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
            .run([.text(ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withInternetDateTime])), .integer(id)])
        return database.changes > 0
    }

    public struct Listed: Sendable {
        public var id: Int64, name: String, role: Role, workerID: Int64?, createdAt: String, revokedAt: String?
    }

    public func list() throws -> [Listed] {
        try database.prepare("SELECT id, name, role, worker_id, created_at, revoked_at FROM api_tokens ORDER BY id").rows().map {
            Listed(id: $0[0].int ?? 0, name: $0[1].text ?? "", role: Role(rawValue: $0[2].text ?? "") ?? .viewer,
                   workerID: $0[3].int, createdAt: $0[4].text ?? "", revokedAt: $0[5].text)
        }
    }
}
