import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Resolves `Authorization: Bearer …` (or, for the `/map` page, the session cookie holding a token)
/// to an identity. A token that is present but unknown or revoked
/// is refused (401) even where none is needed, so a client learns its token is bad. Lookups are
/// cached for two seconds: a revocation takes effect within that.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = WanggeContext
    let readers: ReaderPool
    let cache = TokenCache()

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
            identity = try await readers.read { try $0.tokens.identity(token: token) }
            cache.put(token, identity)
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
        var context = context
        context.identity = identity
        return try await next(request, context)
    }
}

final class TokenCache: Sendable {
    private let entries = Mutex<[String: (Identity?, Date)]>([:])
    static let lifetime: TimeInterval = 2

    func get(_ token: String) -> Identity?? {
        entries.withLock { e in
            guard let (id, at) = e[token], Date().timeIntervalSince(at) < Self.lifetime else { return nil }
            return .some(id)
        }
    }

    func put(_ token: String, _ id: Identity?) {
        entries.withLock { e in
            if e.count > 10_000 { e.removeAll() }   // bounded: unknown tokens are cached too
            e[token] = (id, Date())
        }
    }
}
