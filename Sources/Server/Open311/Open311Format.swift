import Foundation
import Geo
import HTTPTypes
import Hummingbird
import NIOCore

/// The two formats GeoReport v2 speaks, chosen by the resource's extension (`requests.xml`): XML,
/// which the spec requires, and JSON. One shape, two encodings: XML is written from the same
/// JSON value, element per member, a list's items named by the list (`services` → `service`).
enum Open311Format: String, Sendable {
    case json, xml

    /// `requests.json` → ("requests", .json); nil for another extension or none.
    static func split(_ resource: String) -> (name: String, format: Open311Format)? {
        guard let dot = resource.lastIndex(of: "."), let f = Open311Format(rawValue: String(resource[resource.index(after: dot)...])) else {
            return nil
        }
        return (String(resource[..<dot]), f)
    }

    var contentType: String { self == .json ? "application/json; charset=utf-8" : "text/xml; charset=utf-8" }

    /// A list (`root` the XML root, `item` each entry's element), as the spec's answers are.
    func list<T: Encodable>(_ items: [T], root: String, item: String, status: HTTPResponse.Status = .ok) throws -> Response {
        let values = try items.map { try JSONValueEncoder().encode($0) }
        switch self {
        case .json: return JSONResponse.make(.array(values), status: status, contentType: contentType)
        case .xml:
            var x = XMLText()
            x.open(root)
            for v in values { x.element(item, v) }
            x.close(root)
            return x.response(status: status, contentType: contentType)
        }
    }

    /// One value (a service definition, the discovery document).
    func single<T: Encodable>(_ value: T, root: String) throws -> Response {
        let v = try JSONValueEncoder().encode(value)
        switch self {
        case .json: return JSONResponse.make(v, contentType: contentType)
        case .xml:
            var x = XMLText()
            x.element(root, v)
            return x.response(status: .ok, contentType: contentType)
        }
    }

    /// The spec's error answer: a list of codes and descriptions, with the HTTP status of the first.
    func errors(_ status: HTTPResponse.Status, _ description: String, retryAfter: Int? = nil) -> Response {
        var r = (try? list([Open311Error(code: status.code, description: description)], root: "errors", item: "error", status: status))
            ?? Response(status: status)
        if let retryAfter { r.headers[.retryAfter] = String(retryAfter) }
        return r
    }
}

/// XML as GeoReport v2 writes it: UTF-8, the declaration first, no attributes.
private struct XMLText {
    private var text = "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
    /// A list member's items: `services` holds `service`s.
    private static let itemNames = ["endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value"]

    mutating func open(_ name: String) { text += "<\(name)>" }
    mutating func close(_ name: String) { text += "</\(name)>" }

    mutating func element(_ name: String, _ value: JSONValue) {
        switch value {
        case .null: text += "<\(name)/>"
        case .object(let o):
            open(name)
            for (k, v) in o.members { element(k, v) }
            close(name)
        case .array(let items):
            open(name)
            for v in items { element(Self.itemNames[name] ?? "item", v) }
            close(name)
        case .string(let s): text += "<\(name)>\(HTMLText.escape(s))</\(name)>"
        case .bool(let b): text += "<\(name)>\(b)</\(name)>"
        case .integer, .number:
            var w = JSONWriter()
            w.value(value)
            text += "<\(name)>\(w.text)</\(name)>"
        }
    }

    func response(status: HTTPResponse.Status, contentType: String) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
