import Foundation

/// A `multipart/form-data` body (RFC 7578) as a browser's `FormData` sends it: named parts, each
/// text or a file's bytes. Only what forms send: no nested multiparts, no transfer encodings.
struct Multipart {
    struct Part {
        var name: String
        var filename: String?
        var contentType: String?
        var bytes: [UInt8]
        var text: String { String(decoding: bytes, as: UTF8.self) }
    }
    let parts: [Part]

    /// The boundary of a `multipart/form-data; boundary=…` Content-Type, or nil for another type.
    static func boundary(_ contentType: String) -> String? {
        let items = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard items.first?.lowercased() == "multipart/form-data" else { return nil }
        for item in items.dropFirst() where item.lowercased().hasPrefix("boundary=") {
            let b = item.dropFirst("boundary=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            return (1...70).contains(b.utf8.count) ? b : nil
        }
        return nil
    }

    init(_ body: [UInt8], boundary: String) throws(Problem) {
        let delimiter = Array("--\(boundary)".utf8)
        func malformed(_ why: String) -> Problem { .badRequest("malformed multipart/form-data: \(why)", type: "malformed-multipart") }
        guard var at = Self.find(delimiter, in: body, from: 0) else { throw malformed("no boundary") }
        var parts: [Part] = []
        while true {
            at += delimiter.count
            // `--` after a delimiter ends the body.
            if at + 1 < body.count, body[at] == 0x2D, body[at + 1] == 0x2D { break }
            guard at + 1 < body.count, body[at] == 0x0D, body[at + 1] == 0x0A else { throw malformed("a boundary not followed by a line end") }
            at += 2
            guard let headersEnd = Self.find([0x0D, 0x0A, 0x0D, 0x0A], in: body, from: at) else { throw malformed("a part without headers") }
            let headers = String(decoding: body[at..<headersEnd], as: UTF8.self)
            let start = headersEnd + 4
            guard let next = Self.find([0x0D, 0x0A] + delimiter, in: body, from: start) else { throw malformed("a part that does not end") }
            var part = Part(name: "", bytes: Array(body[start..<next]))
            for line in headers.split(separator: "\r\n") {
                let pair = line.split(separator: ":", maxSplits: 1)
                guard pair.count == 2 else { continue }
                let value = pair[1].trimmingCharacters(in: .whitespaces)
                switch pair[0].lowercased() {
                case "content-disposition":
                    part.name = Self.parameter("name", in: value) ?? ""
                    part.filename = Self.parameter("filename", in: value)
                case "content-type": part.contentType = value
                default: break
                }
            }
            guard !part.name.isEmpty else { throw malformed("a part without a name") }
            parts.append(part)
            guard parts.count <= 32 else { throw malformed("more than 32 parts") }
            at = next + 2
        }
        self.parts = parts
    }

    /// `name="x"` in a Content-Disposition value.
    private static func parameter(_ key: String, in value: String) -> String? {
        for item in value.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) where item.hasPrefix("\(key)=") {
            return String(item.dropFirst(key.count + 1)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }

    private static func find(_ needle: [UInt8], in hay: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, hay.count >= needle.count, from <= hay.count - needle.count else { return nil }
        let first = needle[0]
        var k = from
        let last = hay.count - needle.count
        return hay.withUnsafeBufferPointer { h in
            while k <= last {
                if h[k] == first {
                    var j = 1
                    while j < needle.count && h[k + j] == needle[j] { j += 1 }
                    if j == needle.count { return k }
                }
                k += 1
            }
            return nil
        }
    }
}
