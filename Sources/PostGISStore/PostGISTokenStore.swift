import Cases
import Foundation
import Grid

/// Bearer tokens by their SHA-256 digest: the token itself is never stored.
final class PostGISTokenStore: TokenStore {
    let db: PGConnection
    init(db: PGConnection) { self.db = db }

    func insert(name: String, role: Role, workerID: Int64?, area: Area?, unit: String?, digest: String) throws -> Int64 {
        guard let id = try db.scalar("INSERT INTO api_tokens(name, role, worker_id, area, unit, digest, created_at) VALUES ($1, $2, $3, $4, $5, $6, now()) RETURNING id",
                                     [.text(name), .text(role.rawValue), PGValue(workerID), PGValue(area?.code), PGValue(unit), .text(digest)]).flatMap({ Int64($0) }) else {
            throw StoreError(.internal, "no token id returned")
        }
        return id
    }

    func insertSession(of parent: Int64, digest: String, expires: Date) throws -> Int64 {
        guard let id = try db.scalar("""
            INSERT INTO api_tokens(name, role, worker_id, area, unit, digest, created_at, parent_id, expires_at)
            SELECT name, role, worker_id, area, unit, $1, now(), id, $2::timestamptz FROM api_tokens WHERE id = $3 AND revoked_at IS NULL RETURNING id
            """, [.text(digest), PostGISCaseStore.time(expires), PGValue(parent)]).flatMap({ Int64($0) }) else {
            throw StoreError.notFound("no live token \(parent)")
        }
        return id
    }

    func identity(digest: String) throws -> Identity? {
        // A session lives while its token does and until it expires.
        guard let r = try db.query("""
            SELECT coalesce(s.parent_id, s.id), s.name, s.role, s.worker_id, s.area, s.parent_id IS NOT NULL, s.unit FROM api_tokens s
            WHERE s.digest = $1 AND s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > now())
              AND (s.parent_id IS NULL OR EXISTS (SELECT 1 FROM api_tokens p WHERE p.id = s.parent_id AND p.revoked_at IS NULL))
            """, [.text(digest)]).first,
              let role = Role(rawValue: r.text(2)) else { return nil }
        return Identity(tokenID: r.int(0) ?? 0, name: r.text(1), role: role, workerID: r.int(3), area: r[4].flatMap(Area.init(code:)), unit: r[6], session: r[5] == "t")
    }

    func revoke(id: Int64) throws -> Bool {
        try db.changed("UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND parent_id IS NULL AND revoked_at IS NULL RETURNING 1", [PGValue(id)]) > 0
    }

    func revokeSession(digest: String) throws -> Bool {
        try db.changed("UPDATE api_tokens SET revoked_at = now() WHERE digest = $1 AND parent_id IS NOT NULL AND revoked_at IS NULL RETURNING 1", [.text(digest)]) > 0
    }

    func list() throws -> [TokenRecord] {
        func utc(_ column: String) -> String { "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')" }
        return try db.query("SELECT id, name, role, worker_id, \(utc("created_at")), \(utc("revoked_at")), area, unit FROM api_tokens WHERE parent_id IS NULL ORDER BY id").map {
            TokenRecord(id: $0.int(0) ?? 0, name: $0.text(1), role: Role(rawValue: $0.text(2)) ?? .viewer, workerID: $0.int(3),
                        area: $0[6].flatMap(Area.init(code:)), unit: $0[7], createdAt: $0.text(4), revokedAt: $0[5])
        }
    }
}
