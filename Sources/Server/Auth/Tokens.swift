import Cases
import Crypto
import Foundation
import Grid

/// Bearer tokens: made from 32 random bytes, stored as their SHA-256 digest, shown once at
/// creation and never readable from the database.
public enum Tokens {
    static func digest(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Creates a token and returns it with its row id; the clear text is never stored.
    public static func create(in store: any StoreConnection, name: String, role: Role, workerID: Int64? = nil) throws -> (id: Int64, token: String) {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw StoreError("a token needs a name (who holds it)") }
        if role == .worker {
            guard let w = workerID else { throw StoreError("a worker token needs --worker ID") }
            guard try store.grids.worker(id: w) != nil else { throw StoreError.notFound("no worker \(w)") }
        } else if workerID != nil {
            throw StoreError("--worker applies to worker tokens only")
        }
        var rng = SystemRandomNumberGenerator()   // getrandom(2): cryptographically secure
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let token = "wg_" + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let id = try store.tokens.insert(name: name, role: role, workerID: workerID, digest: digest(token))
        return (id, token)
    }

    /// The identity behind a token, or nil when it is unknown or revoked.
    static func identity(_ token: String, in store: any StoreConnection) throws -> Identity? {
        try store.tokens.identity(digest: digest(token))
    }
}
