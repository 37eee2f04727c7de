import Cases
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Resolves `Authorization: Bearer …`, or HTTP Basic with the token as the password (any user
/// name: QGIS and GDAL can send Basic but no bearer header), or for the `/map` page the cookie of
/// a sign-in session (never a token itself), to an identity. A token that is present but unknown
/// or revoked is refused (401) even where none is needed, so a client learns its token is bad.
/// Lookups are cached until the change feed says tokens changed (a revocation by the CLI reaches
/// the server within the follower's 100 ms), and for a minute at most (sessions expire).
struct AuthMiddleware: RouterMiddleware {
    typealias Context = WanggeContext
    let readers: ReaderPool
    let cache: TokenCache
    let failures: FailureLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let token: String, fromCookie: Bool, basic: Bool
        if let header = request.headers[.authorization] {
            (token, basic) = try Self.credentials(header)
            fromCookie = false
        } else if let cookie = Session.token(in: request) {
            token = cookie
            fromCookie = true
            basic = false
        } else {
            return try await next(request, context)
        }
        try failures.check(context.clientIP)
        let identity = try await Self.identity(of: token, readers: readers, cache: cache)
        guard let identity, identity.session == fromCookie else {
            if fromCookie {
                // A stale session cookie: answer as to nobody and drop it, so the page asks to sign
                // in. Not counted as a guess: the browser's cookie simply outlived its session.
                var r = try await next(request, context)
                r.headers[.setCookie] = Session.clearCookie
                return r
            }
            failures.record(context.clientIP)
            throw Problem.unauthorized(basic ? "unknown or revoked token (the password of Basic authentication is the token)" : "unknown or revoked token")
        }
        if fromCookie, ![.get, .head, .options].contains(request.method), !Self.sameOrigin(request) {
            // A cookie rides along with any site's form or script: a write must come from our own pages.
            throw Problem(.forbidden, "cross-site", "a change made with the session cookie must come from this server's own pages")
        }
        var context = context
        context.identity = identity
        return try await next(request, context)
    }

    /// A token's identity, through the cache (nil: unknown or revoked).
    static func identity(of token: String, readers: ReaderPool, cache: TokenCache) async throws -> Identity? {
        if let cached = cache.get(token) { return cached }
        let generation = cache.generation
        let identity = try await readers.read { try Tokens.identity(token, in: $0) }
        cache.put(token, identity, readAt: generation)
        return identity
    }

    /// The token of an Authorization header, and whether it came as Basic: `Bearer TOKEN`, or
    /// `Basic base64(user:TOKEN)` with any user name (RFC 7617; the password is what follows the
    /// first colon).
    static func credentials(_ header: String) throws(Problem) -> (token: String, basic: Bool) {
        let parts = header.split(separator: " ", maxSplits: 1)
        let scheme = parts.first?.lowercased() ?? ""
        let value = parts.count == 2 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        switch scheme {
        case "bearer" where !value.isEmpty:
            return (value, false)
        case "basic":
            guard value.utf8.count <= 1024, let data = Data(base64Encoded: value), let pair = String(data: data, encoding: .utf8),
                  let colon = pair.firstIndex(of: ":") else {
                throw Problem.unauthorized("Basic credentials must be base64 of `user:TOKEN` (any user name, the token as the password)")
            }
            return (String(pair[pair.index(after: colon)...]), true)
        default:
            throw Problem.unauthorized("the Authorization header must be `Bearer TOKEN`, or Basic with the token as the password")
        }
    }

    /// Whether a browser's request comes from this server's own origin: by `Sec-Fetch-Site` where
    /// the browser sends it, else by `Origin` (scheme and host as the client addressed the server);
    /// a client that sends neither (not a browser) is taken at its word.
    static func sameOrigin(_ request: Request) -> Bool {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!] { return site == "same-origin" || site == "none" }
        guard let origin = request.headers[HTTPField.Name("Origin")!] else { return true }
        guard let host = request.head.authority else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }
}

/// Failed authentications per client in the current minute: past the bound, every request of that
/// client that carries credentials is 429 with `Retry-After` until the minute ends.
final class FailureLimiter: Sendable {
    private let perMinute: Int
    private let counts = Mutex<(minute: Int, byClient: [String: Int])>((0, [:]))
    init(perMinute: Int) { self.perMinute = perMinute }

    private static func minute() -> Int { Int(Date().timeIntervalSince1970 / 60) }

    func record(_ client: String?) {
        let now = Self.minute()
        counts.withLock { c in
            if c.minute != now { c = (now, [:]) }
            if c.byClient.count < 100_000 { c.byClient[client ?? "", default: 0] += 1 }
        }
    }

    func check(_ client: String?) throws(Problem) {
        let now = Self.minute()
        let n = counts.withLock { $0.minute == now ? $0.byClient[client ?? ""] ?? 0 : 0 }
        guard n >= perMinute else { return }
        var p = Problem(.tooManyRequests, "too-many-failures", "\(n) wrong tokens from this address this minute; try again when it ends")
        p.retryAfter = max(1, 60 - Int(Date().timeIntervalSince1970) % 60)
        throw p
    }
}

final class TokenCache: Sendable {
    private let entries = Mutex<(map: [String: (identity: Identity?, at: Date)], generation: Int)>(([:], 0))
    /// How long a lookup is trusted without a change: a session that expires is refused this late at most.
    static let lifetime: TimeInterval = 60

    func get(_ token: String) -> Identity?? {
        entries.withLock { e in
            guard let hit = e.map[token], Date().timeIntervalSince(hit.at) < Self.lifetime else { return nil }
            return .some(hit.identity)
        }
    }

    /// Bumped by every `clear`: a lookup that began before a clear must not be cached after it.
    var generation: Int { entries.withLock { $0.generation } }

    func put(_ token: String, _ id: Identity?, readAt generation: Int) {
        entries.withLock { e in
            guard e.generation == generation else { return }
            if e.map.count > 10_000 { e.map.removeAll() }   // bounded: unknown tokens are cached too
            e.map[token] = (id, Date())
        }
    }

    func clear() { entries.withLock { $0.map.removeAll(); $0.generation += 1 } }
}
