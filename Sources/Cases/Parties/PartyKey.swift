import Crypto
import Foundation
import Grid

/// The key that protects the parties' ID and phone numbers (身份证号、手机号): each number is kept
/// encrypted (AES-256-GCM, a fresh nonce each time) with a keyed hash beside it (HMAC-SHA-256 of the
/// normalised number) so that the same person is found across cases without decrypting anything.
/// The key lives in a file outside the database (mode 600); the database records only its id, so a
/// lost or wrong key is a clear error and never a silent new key or plain text.
public struct PartyKey: Sendable {
    // Bytes, not `SymmetricKey`s (which swift-crypto does not mark Sendable); keys made on use.
    private let sealingBytes: [UInt8]
    private let matchingBytes: [UInt8]
    private var sealing: SymmetricKey { SymmetricKey(data: sealingBytes) }
    private var matching: SymmetricKey { SymmetricKey(data: matchingBytes) }
    /// 16 hex digits naming the key (derived from it; tells keys apart, reveals nothing of it).
    public let id: String

    /// Where the key is looked for: `WANGGE_KEY_FILE`, else `var/keys/parties.key` under the
    /// working directory (what `make run` uses).
    public static var defaultPath: String {
        ProcessInfo.processInfo.environment["WANGGE_KEY_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "var/keys/parties.key"
    }

    /// A key from its 32 bytes: two subkeys (one to seal, one to match) derived by HKDF, so the
    /// hashes kept for matching say nothing about the encryption key.
    public init(bytes: [UInt8]) {
        precondition(bytes.count == 32, "a party key is 32 bytes")
        let master = SymmetricKey(data: bytes)
        func derive(_ info: String) -> [UInt8] {
            HKDF<SHA256>.deriveKey(inputKeyMaterial: master, info: Data(info.utf8), outputByteCount: 32).withUnsafeBytes { [UInt8]($0) }
        }
        sealingBytes = derive("wangge parties aes-256-gcm")
        matchingBytes = derive("wangge parties hmac-sha-256")
        id = derive("wangge parties key id").prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// Reads the key file (64 hex digits), or makes one (mode 600, its folder 700) when `create` and
    /// there is none. A file others may read is refused, as ssh refuses such a private key.
    public static func load(path: String, create: Bool) throws -> PartyKey {
        let fm = FileManager.default
        if !fm.fileExists(atPath: path) {
            guard create else { throw StoreError(.schema, "the parties' key \(path) is missing") }
            try make(path)
        }
        let mode = (try? fm.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0
        guard mode & 0o077 == 0 else {
            throw StoreError(.schema, "the parties' key \(path) may be read by others (mode \(String(mode, radix: 8))): chmod 600 \(path)")
        }
        guard let data = fm.contents(atPath: path), let text = String(data: data, encoding: .utf8),
              let bytes = hexBytes(text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32 else {
            throw StoreError(.schema, "the parties' key \(path) is not 64 hex digits")
        }
        return PartyKey(bytes: bytes)
    }

    /// Writes a new random key where none is; when another process got there first, theirs stands
    /// (written to a private temporary file, then linked: never a half-written key).
    private static func make(_ path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let text = SymmetricKey(size: .bits256).withUnsafeBytes { raw in raw.map { String(format: "%02x", $0) }.joined() } + "\n"
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max))")
        guard FileManager.default.createFile(atPath: temporary.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw StoreError(.schema, "cannot write the parties' key in \(folder.path)")
        }
        defer { unlink(temporary.path) }
        if link(temporary.path, path) != 0 && errno != EEXIST {
            throw StoreError(.schema, "cannot write the parties' key \(path): \(String(cString: strerror(errno)))")
        }
    }

    private static func hexBytes(_ s: String) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(u.count / 2)
        for k in stride(from: 0, to: u.count, by: 2) {
            guard let hi = hexDigit(u[k]), let lo = hexDigit(u[k + 1]) else { return nil }
            out.append(hi << 4 | lo)
        }
        return out
    }

    private static func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    // MARK: numbers

    /// A number as kept: encrypted, with its matching hash.
    public func seal(_ number: String, _ kind: PartyNumber) throws -> SealedNumber {
        let box = try AES.GCM.seal(Data(number.utf8), using: sealing)
        guard let combined = box.combined else { throw StoreError(.internal, "AES-GCM gave no combined box") }
        return SealedNumber(sealed: [UInt8](combined), match: match(number, kind))
    }

    /// The keyed hash that finds the same number in other cases: of the normalised number, with
    /// its kind in it (a phone never matches an ID number).
    public func match(_ number: String, _ kind: PartyNumber) -> [UInt8] {
        let text = kind.rawValue + ":" + kind.normalised(number)
        return [UInt8](HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: matching))
    }

    public func open(_ sealed: [UInt8]) throws -> String {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            let plain = try AES.GCM.open(box, using: sealing)
            guard let text = String(data: plain, encoding: .utf8) else { throw StoreError(.internal, "a sealed number is not UTF-8") }
            return text
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError(.schema, "a party's number cannot be opened with key \(id) (\(error)): is this the database's key?")
        }
    }

    public func seal(_ p: Party) throws -> StoredParty {
        StoredParty(name: p.name, phone: try p.phone.map { try seal($0, .phone) }, idNumber: try p.idNumber.map { try seal($0, .idNumber) })
    }

    public func open(_ p: StoredParty) throws -> Party {
        Party(name: p.name, phone: try p.phone.map { try open($0.sealed) }, idNumber: try p.idNumber.map { try open($0.sealed) })
    }
}

/// Which number of a party.
public enum PartyNumber: String, Sendable {
    case phone, idNumber = "id"

    /// The form two writings of one number share: a phone's digits without China's +86 before a
    /// mobile number; an ID number without spaces, its check character `x` as `X`.
    public func normalised(_ s: String) -> String {
        switch self {
        case .phone:
            var digits = s.filter(\.isASCII).filter(\.isNumber)
            if digits.count == 13, digits.hasPrefix("861") { digits.removeFirst(2) }
            return digits
        case .idNumber:
            return s.filter { !$0.isWhitespace }.uppercased()
        }
    }
}

/// A number as the database keeps it: AES-GCM's nonce, ciphertext and tag, and the matching hash.
public struct SealedNumber: Hashable, Sendable {
    public var sealed: [UInt8]
    public var match: [UInt8]
    public init(sealed: [UInt8], match: [UInt8]) {
        self.sealed = sealed
        self.match = match
    }
}

/// A party as stored: the name, and the numbers sealed.
public struct StoredParty: Hashable, Sendable {
    public var name: String
    public var phone: SealedNumber?
    public var idNumber: SealedNumber?
    public init(name: String, phone: SealedNumber? = nil, idNumber: SealedNumber? = nil) {
        self.name = name
        self.phone = phone
        self.idNumber = idNumber
    }
}

/// A party row of an older database whose numbers are still plain: sealed once, then removed.
public struct PlainParty: Sendable {
    public var row: Int64
    public var phone: String?
    public var idNumber: String?
    public init(row: Int64, phone: String?, idNumber: String?) {
        self.row = row
        self.phone = phone
        self.idNumber = idNumber
    }
}
