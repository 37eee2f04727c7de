import Foundation

/// The one-time key a resident gets with their tracking code (解纷码) to rate the case once it is
/// closed: 128 random bits shown once, kept only as its SHA-256 digest.
public enum RatingKey {
    public static func make() -> (key: String, digest: String) {
        var rng = SystemRandomNumberGenerator()
        let key = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &rng)) }.joined()
        return (key, digest(key))
    }

    public static func digest(_ key: String) -> String { Digest.sha256Hex(Data(key.utf8)) }

    /// Whether `key` is the one whose digest was kept; compared in constant time.
    public static func matches(_ key: String, _ stored: String) -> Bool {
        let a = Array(digest(key).utf8), b = Array(stored.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
