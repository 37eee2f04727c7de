import Crypto
import Foundation

/// SHA-256 as lower-case hex: how tokens, rating keys and request fingerprints are kept.
public enum Digest {
    public static func sha256Hex<D: DataProtocol>(_ bytes: D) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}
