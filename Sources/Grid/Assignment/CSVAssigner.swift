import Foundation
import Geo

/// Streams CSV `id,lon,lat` (header line first) to CSV `id,grid_id` in input order, a chunk at a
/// time: memory stays at a few chunks whatever the input size. A row that cannot be read is
/// reported with its line number and left out of the output.
public struct CSVAssigner {
    public let layer: GridLayer
    /// The CRS of the input coordinates: WGS84 or GCJ-02 (converted per point).
    public let crs: CRS
    public var chunkSize = 1 << 22
    /// Bad rows reported one by one, up to this many; the rest are counted.
    public var maxReportedErrors = 100

    public init(layer: GridLayer, crs: CRS = .crs84) {
        self.layer = layer
        self.crs = crs
    }

    public struct Summary: Sendable, Equatable {
        public var rows = 0
        public var assigned = 0
        public var badRows = 0
    }

    /// - Parameters:
    ///   - read: fills the buffer, returns bytes read (0 at end of input, < 0 on error).
    ///   - write: takes output bytes.
    ///   - report: takes one diagnostic line (no personal data: line numbers and reasons only).
    public func run(read: (UnsafeMutableRawBufferPointer) -> Int,
                    write: (UnsafeRawBufferPointer) -> Void,
                    report: (String) -> Void) throws -> Summary {
        var summary = Summary()
        // Grid codes as one byte array with offsets: no per-row array retain/release.
        var codeBytes: [UInt8] = []
        var codeStart: [Int] = [0]
        for g in layer.grids { codeBytes += Array(g.code.utf8); codeStart.append(codeBytes.count) }
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        var filled = 0
        var lineNumber = 0
        var headerSeen = false
        var atEOF = false
        var xs: [Double] = [], ys: [Double] = []
        var idStart: [Int] = [], idEnd: [Int] = []
        var found: [Int32] = []
        var out: [UInt8] = []
        let gcj = crs == .gcj02
        guard crs.isWGS84LonLat || gcj else { throw CRSError("unsupported input CRS \(crs): use wgs84 or gcj02") }

        func bad(_ line: Int, _ reason: String) {
            summary.badRows += 1
            if summary.badRows <= maxReportedErrors { report("line \(line): \(reason)") }
            else if summary.badRows == maxReportedErrors + 1 { report("more bad rows follow; only their count is reported") }
        }

        while !atEOF || filled > 0 {
            if !atEOF && filled < buffer.count {
                let n = buffer.withUnsafeMutableBytes { read(UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
                if n < 0 { throw StoreError("cannot read input") }
                if n == 0 { atEOF = true } else { filled += n }
                if !atEOF && filled < buffer.count { continue }
            }
            // Process every complete line; at end of input, the last line even without a newline.
            var end = filled
            if !atEOF {
                end = buffer[..<filled].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
                if end == 0 {
                    // A line longer than the buffer: grow rather than cut a row in two.
                    buffer += [UInt8](repeating: 0, count: buffer.count)
                    continue
                }
            }
            xs.removeAll(keepingCapacity: true); ys.removeAll(keepingCapacity: true)
            idStart.removeAll(keepingCapacity: true); idEnd.removeAll(keepingCapacity: true)
            buffer.withUnsafeBufferPointer { b in
                var i = 0
                while i < end {
                    let base = UnsafeRawPointer(b.baseAddress!)
                    let j = memchr(base + i, 0x0A, end - i).map { UnsafeRawPointer($0) - base } ?? end
                    var lineEnd = j
                    if lineEnd > i && b[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                    lineNumber += 1
                    defer { i = j + 1 }
                    if !headerSeen {
                        headerSeen = true
                        let header = String(decoding: UnsafeBufferPointer(rebasing: b[i..<lineEnd]), as: UTF8.self)
                            .replacingOccurrences(of: " ", with: "").lowercased()
                        if header.hasPrefix("\u{FEFF}") ? header.dropFirst() == "id,lon,lat" : header == "id,lon,lat" {
                            continue
                        }
                        bad(lineNumber, "the first line must be the header id,lon,lat")
                        continue
                    }
                    if lineEnd == i { continue }   // blank line
                    switch Self.parseRow(b, i, lineEnd) {
                    case .failure(let e): bad(lineNumber, e.reason())
                    case .success(let row):
                        var lon = row.lon, lat = row.lat
                        guard (-180...180).contains(lon), (-90...90).contains(lat) else {
                            bad(lineNumber, "lon/lat \(lon),\(lat) out of range")
                            continue
                        }
                        if gcj {
                            guard let w = try? ChinaOffset.gcj02ToWGS84(Position(lon, lat)) else {
                                bad(lineNumber, "\(lon),\(lat) is outside China, where GCJ-02 is not defined")
                                continue
                            }
                            lon = w.lon; lat = w.lat
                        }
                        xs.append(lon); ys.append(lat)
                        idStart.append(i); idEnd.append(row.idEnd)
                    }
                }
            }
            found.removeAll(keepingCapacity: true)
            found.append(contentsOf: repeatElement(-1, count: xs.count))
            xs.withUnsafeBufferPointer { x in
                ys.withUnsafeBufferPointer { y in
                    found.withUnsafeMutableBufferPointer { f in layer.locator.locate(xs: x, ys: y, into: f) }
                }
            }
            // Output: id bytes, comma, grid code, newline; sized first, then written through a pointer.
            var size = 0
            for k in 0..<xs.count {
                let g = Int(found[k])
                size += idEnd[k] - idStart[k] + 2 + (g >= 0 ? codeStart[g + 1] - codeStart[g] : 0)
            }
            if out.count < size { out = [UInt8](repeating: 0, count: size) }
            buffer.withUnsafeBufferPointer { b in
                codeBytes.withUnsafeBufferPointer { codes in
                    out.withUnsafeMutableBufferPointer { o in
                        var w = 0
                        for k in 0..<xs.count {
                            let n = idEnd[k] - idStart[k]
                            (o.baseAddress! + w).update(from: b.baseAddress! + idStart[k], count: n)
                            w += n
                            o[w] = 0x2C
                            w += 1
                            let g = Int(found[k])
                            if g >= 0 {
                                let c = codeStart[g + 1] - codeStart[g]
                                (o.baseAddress! + w).update(from: codes.baseAddress! + codeStart[g], count: c)
                                w += c
                                summary.assigned += 1
                            }
                            o[w] = 0x0A
                            w += 1
                        }
                    }
                }
            }
            summary.rows += xs.count
            out.withUnsafeBytes { write(UnsafeRawBufferPointer(rebasing: $0[..<size])) }
            // Keep the incomplete tail for the next read.
            let rest = filled - end
            if rest > 0 { buffer.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[end..<filled])) } }
            filled = rest
            if atEOF && filled == 0 { break }
        }
        return summary
    }

    struct Row { var idEnd: Int; var lon: Double; var lat: Double }

    /// Parses `id,lon,lat` between `start` and `end`. The id may be quoted (RFC 4180).
    @inline(__always)
    static func parseRow(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Result<Row, RowError> {
        var i = start
        if b[i] == 0x22 {
            i += 1
            while true {
                guard i < end else { return .failure(RowError("unterminated quoted id")) }
                if b[i] == 0x22 {
                    if i + 1 < end && b[i + 1] == 0x22 { i += 2; continue }
                    i += 1
                    break
                }
                i += 1
            }
            guard i < end, b[i] == 0x2C else { return .failure(RowError("expected ',' after the quoted id")) }
        } else {
            while i < end && b[i] != 0x2C { i += 1 }
            guard i < end else { return .failure(RowError("expected 3 fields id,lon,lat")) }
        }
        let idEnd = i
        if idEnd == start { return .failure(RowError("empty id")) }
        i += 1
        var c1 = i
        while c1 < end && b[c1] != 0x2C { c1 += 1 }
        guard c1 < end else { return .failure(RowError("expected 3 fields id,lon,lat")) }
        var e2 = c1 + 1
        while e2 < end && b[e2] != 0x2C { e2 += 1 }
        guard e2 == end else { return .failure(RowError("expected 3 fields id,lon,lat, found more")) }
        guard let lon = parseNumber(b, i, c1) else {
            return .failure(.notANumber(field: "lon", b, i, c1))
        }
        guard let lat = parseNumber(b, c1 + 1, end) else {
            return .failure(.notANumber(field: "lat", b, c1 + 1, end))
        }
        return .success(Row(idEnd: idEnd, lon: lon, lat: lat))
    }

    /// Why a row was refused. The text is made only when reported, keeping the hot path free of
    /// string work.
    enum RowError: Error {
        case fixed(StaticString)
        case notANumber(field: StaticString, UnsafeBufferPointer<UInt8>, Int, Int)

        init(_ s: StaticString) { self = .fixed(s) }

        func reason() -> String {
            switch self {
            case .fixed(let s): return s.description
            case .notANumber(let field, let b, let s, let e):
                return "\(field) is not a number: \"\(String(decoding: UnsafeBufferPointer(rebasing: b[s..<e]), as: UTF8.self))\""
            }
        }
    }

    private static let powers: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { a, _ in a * 10 } }

    /// A decimal number, correctly rounded. The common form (up to 15 significant digits, plain
    /// decimal) is exact by Clinger's fast path: an integer below 2^53 divided by an exact power of
    /// ten rounds once. Anything else goes to the C library's `strtod`.
    @inline(__always)
    static func parseNumber(_ b: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Double? {
        var i = s, end = e
        while i < end && b[i] == 0x20 { i += 1 }
        while end > i && b[end - 1] == 0x20 { end -= 1 }
        guard i < end else { return nil }
        var neg = false
        if b[i] == 0x2D { neg = true; i += 1 } else if b[i] == 0x2B { i += 1 }
        var mantissa: UInt64 = 0
        var digits = 0, frac = 0
        var sawDot = false, sawDigit = false
        var k = i
        while k < end {
            let c = b[k]
            if c >= 0x30 && c <= 0x39 {
                mantissa = mantissa &* 10 &+ UInt64(c - 0x30)
                sawDigit = true
                if mantissa != 0 { digits += 1 }
                if sawDot { frac += 1 }
            } else if c == 0x2E && !sawDot {
                sawDot = true
            } else {
                break
            }
            k += 1
        }
        if k == end && sawDigit && digits <= 15 && frac <= 22 {
            let v = Double(mantissa) / powers[frac]
            return neg ? -v : v
        }
        // Slow path: exponents, long mantissas, or junk (rejected by strtod's end check).
        let text = String(decoding: UnsafeBufferPointer(rebasing: b[s..<e]), as: UTF8.self).trimmingCharacters(in: .whitespaces)
        guard let d = Double(text), d.isFinite else { return nil }
        return d
    }
}
