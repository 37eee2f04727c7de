import Cases
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Resolves `Authorization: Bearer …` (or, for the `/map` page, the session cookie holding a token)
/// to an identity. A token that is present but unknown or revoked
/// is refused (401) even where none is needed, so a client learns its token is bad. Lookups are
/// cached until the change feed says tokens changed (a revocation by the CLI reaches the server
/// within the follower's 100 ms).
struct AuthMiddleware: RouterMiddleware {
    typealias Context = WanggeContext
    let readers: ReaderPool
    let cache: TokenCache

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let token: String, fromCookie: Bool
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw Problem.unauthorized("the Authorization header must be `Bearer TOKEN`")
            }
            token = String(parts[1]).trimmingCharacters(in: .whitespaces)
            fromCookie = false
        } else if let cookie = Session.token(in: request) {
            token = cookie
            fromCookie = true
        } else {
            return try await next(request, context)
        }
        let identity: Identity?
        if let cached = cache.get(token) { identity = cached }
        else {
            let generation = cache.generation
            identity = try await readers.read { try Tokens.identity(token, in: $0) }
            cache.put(token, identity, readAt: generation)
        }
        guard let identity else {
            if fromCookie {
                // A stale session cookie: answer as to nobody and drop it, so the page asks to sign in.
                var r = try await next(request, context)
                r.headers[.setCookie] = Session.clearCookie
                return r
            }
            throw Problem.unauthorized("unknown or revoked token")
        }
        if fromCookie, ![.get, .head, .options].contains(request.method), !Self.sameOrigin(request) {
            // A cookie rides along with any site's form or script: a write must come from our own pages.
            throw Problem(.forbidden, "cross-site", "a change made with the session cookie must come from this server's own pages")
        }
        var context = context
        context.identity = identity
        return try await next(request, context)
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

final class TokenCache: Sendable {
    private let entries = Mutex<(map: [String: Identity?], generation: Int)>(([:], 0))

    func get(_ token: String) -> Identity?? { entries.withLock { $0.map[token] } }

    /// Bumped by every `clear`: a lookup that began before a clear must not be cached after it.
    var generation: Int { entries.withLock { $0.generation } }

    func put(_ token: String, _ id: Identity?, readAt generation: Int) {
        entries.withLock { e in
            guard e.generation == generation else { return }
            if e.map.count > 10_000 { e.map.removeAll() }   // bounded: unknown tokens are cached too
            e.map[token] = .some(id)
        }
    }

    func clear() { entries.withLock { $0.map.removeAll(); $0.generation += 1 } }
}
