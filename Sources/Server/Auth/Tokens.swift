import Cases
import Crypto
import Foundation
import Grid

/// Bearer tokens: made from 32 random bytes, stored as their SHA-256 digest, shown once at
/// creation and never readable from the database.
public enum Tokens {
    static func digest(_ token: String) -> String {
        Digest.sha256Hex(Data(token.utf8))
    }

    /// Creates a token and returns it with its row id; the clear text is never stored. `area`, a
    /// county, town or village code of the database's boundaries, limits what it reads and writes.
    public static func create(in store: any StoreConnection, name: String, role: Role, workerID: Int64? = nil,
                              area code: String? = nil, unit: String? = nil) throws -> (id: Int64, token: String) {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw StoreError("a token needs a name (who holds it)") }
        if role == .worker {
            guard let w = workerID else { throw StoreError("a worker token needs --worker ID") }
            guard try store.grids.worker(id: w) != nil else { throw StoreError.notFound("no worker \(w)") }
        } else if workerID != nil {
            throw StoreError("--worker applies to worker tokens only")
        }
        var area: Area?
        if let code {
            guard let a = Area(code: code) else { throw StoreError("--area \(code) is not a county, town or village code (6, 9 or 12 digits)") }
            guard try store.grids.boundaries().contains(where: { $0.code == code }) else {
                throw StoreError.notFound("--area \(code): no such county, town or village in the database")
            }
            area = a
        }
        if role == .unit {
            guard let unit else { throw StoreError("a unit token needs --unit CODE (wangge units list shows them)") }
            guard try store.cases.units().contains(where: { $0.code == unit }) else { throw StoreError.notFound("--unit \(unit): no such committee or department in the database") }
            guard area == nil else { throw StoreError("a unit token sees its unit's cases: --area does not apply") }
        } else if unit != nil {
            throw StoreError("--unit applies to unit tokens only")
        }
        let token = secret()
        let id = try store.tokens.insert(name: name, role: role, workerID: workerID, area: area, unit: unit, digest: digest(token))
        return (id, token)
    }

    /// A sign-in session of a live token (the page's cookie): a secret of its own, so that
    /// signing out ends it without touching the token.
    static func createSession(in store: any StoreConnection, of tokenID: Int64, lasting seconds: TimeInterval) throws -> String {
        let session = secret()
        _ = try store.tokens.insertSession(of: tokenID, digest: digest(session), expires: Date() + seconds)
        return session
    }

    /// 32 random bytes (getrandom(2): cryptographically secure), URL-safe base64.
    private static func secret() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return "wg_" + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The identity behind a token, or nil when it is unknown or revoked.
    static func identity(_ token: String, in store: any StoreConnection) throws -> Identity? {
        try store.tokens.identity(digest: digest(token))
    }
}
