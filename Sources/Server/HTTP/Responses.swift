import CompressNIO
import Foundation
import Geo
import HTTPTypes
import Hummingbird
import Synchronization

/// A response body made once and served many times: its bytes, its gzip form (made when first
/// asked for) and its ETag.
final class CachedBody: Sendable {
    let bytes: ByteBuffer
    let etag: String
    let contentType: String
    let extraHeaders: [(HTTPField.Name, String)]
    private let gzipped = Mutex<ByteBuffer?>(nil)

    init(_ bytes: [UInt8], contentType: String, extraHeaders: [(HTTPField.Name, String)] = []) {
        self.bytes = ByteBuffer(bytes: bytes)
        self.contentType = contentType
        self.extraHeaders = extraHeaders
        // FNV-1a over the body: a strong validator for these bytes.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        etag = "\"" + String(h, radix: 16) + "-" + String(bytes.count, radix: 16) + "\""
    }

    func gzip() -> ByteBuffer {
        if let g = gzipped.withLock({ $0 }) { return g }
        var input = bytes
        let g = (try? input.compress(with: .gzip())) ?? bytes
        gzipped.withLock { $0 = g }
        return g
    }

    /// 304 when the client has these bytes; gzip when it accepts it and it pays (over 1 KiB).
    func response(to request: Request, status: HTTPResponse.Status = .ok) -> Response {
        var headers: HTTPFields = [.contentType: contentType, .eTag: etag, .vary: "Accept-Encoding"]
        for (k, v) in extraHeaders { headers[k] = v }
        if let inm = request.headers[.ifNoneMatch], inm.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag || $0 == "*" }) {
            return Response(status: .notModified, headers: headers)
        }
        let acceptsGzip = request.headers[values: .acceptEncoding].contains { $0.lowercased().contains("gzip") }
        if acceptsGzip && bytes.readableBytes > 1024 {
            headers[.contentEncoding] = "gzip"
            return Response(status: status, headers: headers, body: .init(byteBuffer: gzip()))
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: bytes))
    }
}

/// Responses of the in-memory collections by (catalog generation, path, query). Bounded; emptied
/// whenever the catalog is rebuilt.
final class ResponseCache: Sendable {
    private let entries = Mutex<[String: CachedBody]>([:])
    static let capacity = 512

    func get(_ key: String) -> CachedBody? { entries.withLock { $0[key] } }

    func put(_ key: String, _ body: CachedBody) {
        entries.withLock { e in
            if e.count >= Self.capacity { e.removeAll(keepingCapacity: true) }
            e[key] = body
        }
    }

    func clear() { entries.withLock { $0.removeAll() } }
}

/// `a=1&b=x+y` as query strings and `application/x-www-form-urlencoded` bodies carry it: pairs in
/// order, percent-decoded, `+` a space (a plus is `%2B`).
enum FormPairs {
    static func decode(_ text: Substring) -> [(String, String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            func decode(_ s: Substring) -> String {
                let spaced = s.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            guard let eq = pair.firstIndex(of: "=") else { return (decode(pair), "") }
            return (decode(pair[..<eq]), decode(pair[pair.index(after: eq)...]))
        }
    }
}

/// JSON responses of the domain API.
enum JSONResponse {
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok, contentType: String = "application/json") -> Response {
        var w = JSONWriter()
        w.value(value)
        return Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: w.bytes)))
    }

    /// A response shape (one of the `DocumentedShape` views), encoded in its declared key order.
    static func make<T: Encodable>(_ view: T, status: HTTPResponse.Status = .ok, contentType: String = "application/json") throws -> Response {
        make(try JSONValueEncoder().encode(view), status: status, contentType: contentType)
    }
}

extension Request {
    /// The query string's pairs in order, percent-decoded.
    /// The query's pairs, decoded as forms and most clients encode them: `+` is a space (a plus
    /// is `%2B`), as in `filter=households+>+450`.
    var queryPairs: [(String, String)] {
        guard let q = uri.query, !q.isEmpty else { return [] }
        return FormPairs.decode(Substring(q))
    }

    /// The first value of a query parameter, decoded as `queryPairs` decodes.
    func query(_ name: String) -> String? { queryPairs.first { $0.0 == name }?.1 }

    /// The body as JSON: 415 unless it is sent as JSON, 413 over the limit, 400 if malformed.
    /// - Parameter maxBytes: a smaller cap than the context's (endpoints that need no token).
    func jsonBody(context: WanggeContext, maxBytes: Int? = nil) async throws -> JSONObject {
        let type = headers[.contentType]?.lowercased() ?? ""
        guard type.hasPrefix("application/json") || type.hasPrefix("application/geo+json") else {
            throw Problem(.unsupportedMediaType, "unsupported-media-type", "send the body as application/json (got \(type.isEmpty ? "no Content-Type" : type))")
        }
        let buffer = try await body.collect(upTo: maxBytes.map { min($0, context.maxUploadSize) } ?? context.maxUploadSize)
        let value = try JSONParser.parse(Array(buffer.readableBytesView))
        guard case .object(let o) = value else { throw Problem.badRequest("the body must be a JSON object", type: "malformed-json") }
        return o
    }

    /// `http://host:port` as the client addressed the server, for absolute links.
    var baseURL: String {
        "http://" + (head.authority ?? "127.0.0.1")
    }
}
