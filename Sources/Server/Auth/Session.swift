import Cases
import Foundation
import Geo
import HTTPTypes
import Hummingbird

/// The `/map` page's sign-in: the browser sends a token once, and gets it back as an HttpOnly,
/// SameSite=Strict cookie, so that the page's own requests and its event stream (EventSource cannot
/// set headers) carry it. Scripts cannot read the cookie, and other sites cannot send it; writes
/// also need a JSON body, which a cross-site form cannot send without a preflight the server refuses.
struct Session {
    static let cookieName = "wangge_token"
    static let clearCookie = "\(cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"

    static func cookie(_ token: String) -> String {
        "\(cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(12 * 3600)"
    }

    /// The token in the request's session cookie, if any.
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
            // Anyone may call this: a token fits in a few hundred bytes.
            let f = try Fields(try await request.jsonBody(context: context, maxBytes: 4096), allowed: ["token"])
            let token = try f.string("token")
            guard let who = try await state.readers.read({ try Tokens.identity(token, in: $0) }) else {
                throw Problem.unauthorized("unknown or revoked token")
            }
            var r = try JSONResponse.make(SessionView(who))
            r.headers[.setCookie] = Self.cookie(token)
            return r
        }
        router.delete("/api/session") { _, _ in
            Response(status: .noContent, headers: [.setCookie: Self.clearCookie])
        }
    }
}

/// Who the map page is signed in as; all null for nobody.
struct SessionView: DocumentedShape, Sendable {
    var name: String?
    var role: String?
    var worker_id: Int64?
    init(_ who: Identity?) {
        name = who?.name
        role = who?.role.rawValue
        worker_id = who?.workerID
    }
    static var examples: [SessionView] { [SessionView(Identity(tokenID: 1, name: "worker", role: .worker, workerID: 17)), SessionView(nil)] }
}
