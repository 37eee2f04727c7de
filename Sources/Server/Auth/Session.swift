import Cases
import Foundation
import Grid
import Geo
import HTTPTypes
import Hummingbird

/// The `/map` page's sign-in: the browser sends a token once, and gets back a session of its own
/// (a secret that is not the token, ending after 12 hours, at sign-out, or with its token) as an
/// HttpOnly, SameSite=Strict cookie, so that the page's own requests and its event stream
/// (EventSource cannot set headers) carry it. Scripts cannot read the cookie, and other sites cannot
/// send it; writes with it must come from the server's own pages (`AuthMiddleware.sameOrigin`).
struct Session {
    static let cookieName = "wangge_session"
    static let lifetime: TimeInterval = 12 * 3600

    /// `Secure` when the page was reached over HTTPS (here, or at a proxy that says so with
    /// `X-Forwarded-Proto`): the browser then never sends the cookie in clear.
    static func cookie(_ session: String, secure: Bool) -> String {
        "\(cookieName)=\(session); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(Int(lifetime))\(secure ? "; Secure" : "")"
    }
    static let clearCookie = "\(cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"

    static func overTLS(_ request: Request) -> Bool {
        request.uri.scheme == .https || request.head.scheme == "https" || request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
    }

    /// The session in the request's cookie, if any.
    static func token(in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                guard kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces) == cookieName else { continue }
                let value = kv[1].trimmingCharacters(in: .whitespaces)
                if !value.isEmpty { return value }
            }
        }
        return nil
    }

    let state: ServerState

    func register(on router: Router<WanggeContext>) {
        // Who the page is signed in as; `role` null when nobody is (not an error: the page then asks).
        router.get("/api/session") { _, context in
            guard let who = context.identity else {
                return try JSONResponse.make(SessionView(nil))
            }
            return try JSONResponse.make(SessionView(who))
        }
        router.post("/api/session") { request, context in
            // Anyone may call this: a token fits in a few hundred bytes, and guessing is limited.
            try state.failures.check(context.clientIP)
            let f = try Fields(try await request.jsonBody(context: context, maxBytes: 4096), .signIn)
            let token = try f.string("token")
            guard let who = try await state.readers.read({ try Tokens.identity(token, in: $0) }) else {
                state.failures.record(context.clientIP)
                throw Problem.unauthorized("unknown or revoked token")
            }
            let session = try await state.desk.perform { try Tokens.createSession(in: $0.store, of: who.tokenID, lasting: Self.lifetime) }
            var r = try JSONResponse.make(SessionView(who))
            r.headers[.setCookie] = Self.cookie(session, secure: Self.overTLS(request))
            return r
        }
        router.delete("/api/session") { request, _ in
            // Signing out ends the session for good: the same cookie value no longer works.
            if let session = Self.token(in: request) {
                _ = try await state.desk.perform { try $0.store.tokens.revokeSession(digest: Tokens.digest(session)) }
                state.tokenCache.clear()
            }
            return Response(status: .noContent, headers: [.setCookie: Self.clearCookie])
        }
    }
}

/// Who the map page is signed in as; all null for nobody.
struct SessionView: DocumentedShape, Sendable {
    var name: String?
    var role: String?
    var worker_id: Int64?
    /// The code of the area the token is limited to (a county, town or village), if any.
    var area: String?
    init(_ who: Identity?) {
        name = who?.name
        role = who?.role.rawValue
        worker_id = who?.workerID
        area = who?.area?.code
    }
    static var examples: [SessionView] {
        [SessionView(Identity(tokenID: 1, name: "worker", role: .worker, workerID: 17, area: Area(code: "511725001")!)), SessionView(nil)]
    }
}
