import Cases
import Geo
import Grid
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1

/// An RFC 9457 problem: the one shape of every error the server returns. `type` names the kind of
/// problem (a stable URI a client can branch on), `detail` says what was wrong with this request.
public struct Problem: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var type: String
    public var title: String
    public var detail: String
    /// Seconds after which to try again (503 from a busy or failing database).
    public var retryAfter: Int?
    /// The methods the resource takes (a 405's `Allow`).
    public var allow: String?

    public init(_ status: HTTPResponse.Status, _ type: String, _ detail: String) {
        self.status = status
        self.type = type
        self.title = status.reasonPhrase
        self.detail = detail
    }

    public static func badRequest(_ detail: String, type: String = "bad-request") -> Problem { Problem(.badRequest, type, detail) }
    public static func notFound(_ detail: String) -> Problem { Problem(.notFound, "not-found", detail) }
    public static func forbidden(_ detail: String) -> Problem { Problem(.forbidden, "forbidden", detail) }
    public static func unauthorized(_ detail: String) -> Problem { Problem(.unauthorized, "unauthorized", detail) }

    var view: ProblemView {
        ProblemView(type: "https://wangge.example/problems/\(type)", title: title, status: status.code, detail: detail)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        // A person at a browser who needs to sign in gets a page that says where (clients, and the
        // map page's own requests, never ask for HTML and get the problem).
        if status == .unauthorized, HTMLPage.wanted(request) {
            var r = HTMLPage.signInNeeded(detail)
            r.headers[.wwwAuthenticate] = "Bearer realm=\"wangge\""
            return r
        }
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        // Bearer only, though Basic is taken too (QGIS and GDAL send it unasked): a Basic challenge
        // makes browsers pop up a password box over the map page, and Foundation's URLSession on
        // Linux never returns from one.
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"wangge\"" }
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if let allow { headers[.allow] = allow }
        var w = JSONWriter()
        w.value(try JSONValueEncoder().encode(view))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: w.bytes)))
    }
}

extension Problem {
    /// Maps the domain's errors to problems; anything unexpected stays a 500 (and is logged).
    static func from(_ error: Error) -> Problem? {
        switch error {
        case let p as Problem: return p
        case let e as CaseError:
            switch e.kind {
            case .invalid: return Problem(.unprocessableContent, "invalid-case", e.reason)
            case .notFound: return Problem(.notFound, "not-found", e.reason)
            case .conflict: return Problem(.conflict, "illegal-transition", e.reason)
            case .forbidden: return Problem(.forbidden, "outside-area", e.reason)
            }
        case let e as PlanError: return Problem(.unprocessableContent, "invalid-plan", e.description)
        case let e as OutsideArea: return Problem(.forbidden, "outside-area", e.description)
        case let e as ImportError: return Problem(.unprocessableContent, "invalid-import", e.description)
        case let e as GeoJSONError: return Problem(.badRequest, "malformed-geojson", e.description)
        case let e as JSONSyntaxError: return Problem(.badRequest, "malformed-json", e.description)
        case let e as CRSError: return Problem(.badRequest, "bad-crs", e.description)
        case let e as ChinaOffset.OutsideChina: return Problem(.unprocessableContent, "outside-china", e.description)
        case let e as StoreError:
            // Wangge's own words only: the database's text (`detail`) stays in the log.
            switch e.kind {
            case .notFound: return Problem(.notFound, "not-found", e.reason)
            case .conflict: return Problem(.conflict, "conflict", e.reason)
            case .invalid: return Problem(.unprocessableContent, "refused-by-store", e.reason)
            case .unavailable, .schema:
                var p = Problem(.serviceUnavailable, "database-unavailable", "the database is busy or unavailable; try again shortly")
                p.retryAfter = 2
                return p
            case .internal: return nil
            }
        case is NIOTooManyBytesError:
            return Problem(.contentTooLarge, "body-too-large", "the request body is larger than this resource takes (1 MiB for most, 4 KiB for sign-in; the API document says each)")
        case let e as HTTPParserError:
            // Malformed framing (a chunk size that is not hex, …) is the client's, not a 500.
            return Problem(.badRequest, "malformed-http", "the request is not well-formed HTTP/1.1: \(e)")
        case let e as HTTPError:
            let detail = e.body ?? e.status.reasonPhrase
            switch e.status {
            case .contentTooLarge: return Problem(.contentTooLarge, "body-too-large", "the request body is larger than 1 MiB")
            case .notFound: return Problem(.notFound, "not-found", "no such resource")
            case .methodNotAllowed: return Problem(.methodNotAllowed, "method-not-allowed", "this resource does not accept that method")
            default: return Problem(e.status, "http", detail)
            }
        default: return nil
        }
    }
}

/// Turns every error into problem+json; a 500 is logged with its cause, never with the request body.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            // A path the API has, with a method it does not: 405 with the methods it takes.
            if let e = error as? HTTPError, e.status == .notFound, let allowed = Self.allowed(request.uri.path),
               !allowed.contains(request.method.rawValue) {
                var r = try Problem(.methodNotAllowed, "method-not-allowed", "\(request.uri.path) takes \(allowed.joined(separator: ", "))")
                    .response(from: request, context: context)
                r.headers[.allow] = allowed.joined(separator: ", ")
                return r
            }
            if let p = Problem.from(error) {
                if p.status == .serviceUnavailable { context.logger.warning("database unavailable", metadata: ["error": "\(error)", "path": "\(request.uri.path)"]) }
                return try p.response(from: request, context: context)
            }
            context.logger.error("internal error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return try Problem(.internalServerError, "internal", "the server could not complete the request; it has been logged")
                .response(from: request, context: context)
        }
    }
}

extension ProblemMiddleware {
    /// The methods a path takes, or nil for a path the API does not have.
    static func allowed(_ path: String) -> [String]? {
        let parts = path.split(separator: "/")
        let methods = RouteTable.routes.filter { r in
            r.segments.count == parts.count && zip(r.segments, parts).allSatisfy { t, p in t.hasPrefix("{") || t == p }
        }.flatMap(\.methods)
        return methods.isEmpty ? nil : Array(Set(methods)).sorted()
    }
}

/// The API document's paths as segments (`{…}` matches any one segment) and their methods, built
/// once: they do not change while the server runs.
private enum RouteTable {
    static let routes: [(segments: [Substring], methods: [String])] = OpenAPIDocument.paths.map { path, operations in
        (path.split(separator: "/"), operations.map { $0.0.uppercased() } + (operations.contains { $0.0 == "get" } ? ["HEAD"] : []))
    }
}

/// RFC 9457's members, as every error is written.
struct ProblemView: DocumentedShape, Sendable {
    var type: String
    var title: String
    var status: Int
    var detail: String
    static var examples: [ProblemView] { [Problem.notFound("no case 99").view] }
}
