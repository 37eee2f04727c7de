import Foundation
import Geo

/// Streams CSV `id,lon,lat` (header line first) to CSV `id,grid_id` in input order, a chunk at a
/// time: memory stays at a few chunks whatever the input size. A row that cannot be read is
/// reported with its line number and left out of the output.
public struct CSVAssigner: Sendable {
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

    /// Chunks larger than this are split at a line boundary and their halves processed on two
    /// cores; the output and the reports still come in input order.
    public var parallelThreshold = 1 << 16

    /// - Parameters:
    ///   - read: fills the buffer, returns bytes read (0 at end of input, < 0 on error).
    ///   - write: takes output bytes.
    ///   - report: takes one diagnostic line (no personal data: line numbers and reasons only).
    public func run(read: (UnsafeMutableRawBufferPointer) -> Int,
                    write: (UnsafeRawBufferPointer) -> Void,
                    report: (String) -> Void) throws -> Summary {
        guard crs.isWGS84LonLat || crs == .gcj02 else { throw CRSError("unsupported input CRS \(crs): use wgs84 or gcj02") }
        var summary = Summary()
        let codes = CodeTable(layer.grids)
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        var filled = 0
        var lineNumber = 0
        var headerSeen = false
        var atEOF = false

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
            var start = 0
            if !headerSeen {
                headerSeen = true
                let nl = buffer[..<end].firstIndex(of: 0x0A) ?? end
                lineNumber += 1
                start = min(nl + 1, end)
                var header = String(decoding: buffer[..<nl], as: UTF8.self).replacingOccurrences(of: " ", with: "")
                    .replacingOccurrences(of: "\r", with: "").lowercased()
                if header.hasPrefix("\u{FEFF}") { header.removeFirst() }
                if header != "id,lon,lat" { bad(lineNumber, "the first line must be the header id,lon,lat") }
            }
            // Split the chunk at a newline near its middle when it is worth a second core.
            var cuts = [start, end]
            if end - start > parallelThreshold {
                let mid = buffer[((start + end) / 2)..<end].firstIndex(of: 0x0A).map { $0 + 1 } ?? end
                if mid < end { cuts = [start, mid, end] }
            }
            let slices = cuts.count - 1
            var results = [SliceResult](repeating: SliceResult(), count: slices)
            buffer.withUnsafeBufferPointer { b in
                results.withUnsafeMutableBufferPointer { r in
                    let work = SliceWork(bytes: b, results: r, cuts: cuts)
                    DispatchQueue.concurrentPerform(iterations: slices) { k in
                        work.results[k] = process(work.bytes, work.cuts[k], work.cuts[k + 1], codes)
                    }
                }
            }
            for r in results {
                for e in r.errors { bad(lineNumber + e.line, e.reason) }
                summary.badRows += r.badRows - r.errors.count
                summary.rows += r.rows
                summary.assigned += r.assigned
                lineNumber += r.lines
                r.output.withUnsafeBytes { write($0) }
            }
            // Keep the incomplete tail for the next read.
            let rest = filled - end
            if rest > 0 { buffer.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[end..<filled])) } }
            filled = rest
            if atEOF && filled == 0 { break }
        }
        return summary
    }

    /// Grid codes as one byte array with offsets: no per-row array retain/release.
    struct CodeTable: @unchecked Sendable {
        var bytes: [UInt8] = []
        var start: [Int] = [0]
        init(_ grids: [Grid]) {
            for g in grids { bytes += Array(g.code.utf8); start.append(bytes.count) }
        }
    }

    /// What one slice of a chunk produced.
    struct SliceResult {
        var output: [UInt8] = []
        var rows = 0, assigned = 0, lines = 0, badRows = 0
        /// Line numbers relative to the slice's start (1 = its first line); capped like reports.
        var errors: [(line: Int, reason: String)] = []
    }

    /// The shared, read-only input of one chunk and the results array, each slice writing only its
    /// own element; handed to the worker threads for the duration of `concurrentPerform`.
    struct SliceWork: @unchecked Sendable {
        let bytes: UnsafeBufferPointer<UInt8>
        let results: UnsafeMutableBufferPointer<SliceResult>
        let cuts: [Int]
    }

    /// Parses, locates and formats the lines in `b[start..<end]`.
    private func process(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ codes: CodeTable) -> SliceResult {
        var r = SliceResult()
        var xs: [Double] = [], ys: [Double] = []
        var idStart: [Int] = [], idEnd: [Int] = []
        let estimate = (end - start) / 24
        xs.reserveCapacity(estimate); ys.reserveCapacity(estimate)
        idStart.reserveCapacity(estimate); idEnd.reserveCapacity(estimate)
        let gcj = crs == .gcj02
        func bad(_ reason: @autoclosure () -> String) {
            r.badRows += 1
            if r.errors.count <= maxReportedErrors {
                let line = r.lines, text = reason()
                r.errors.append((line, text))
            }
        }
        let base = UnsafeRawPointer(b.baseAddress!)
        var i = start
        while i < end {
            let j = memchr(base + i, 0x0A, end - i).map { UnsafeRawPointer($0) - base } ?? end
            var lineEnd = j
            if lineEnd > i && b[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            r.lines += 1
            defer { i = j + 1 }
            if lineEnd == i { continue }   // blank line
            switch Self.parseRow(b, i, lineEnd) {
            case .failure(let e): bad(e.reason(in: b))
            case .success(let row):
                var lon = row.lon, lat = row.lat
                guard (-180...180).contains(lon), (-90...90).contains(lat) else {
                    bad("lon/lat \(lon),\(lat) out of range")
                    continue
                }
                if gcj {
                    guard let w = try? ChinaOffset.gcj02ToWGS84(Position(lon, lat)) else {
                        bad("\(lon),\(lat) is outside China, where GCJ-02 is not defined")
                        continue
                    }
                    lon = w.lon; lat = w.lat
                }
                xs.append(lon); ys.append(lat)
                idStart.append(i); idEnd.append(row.idEnd)
            }
        }
        var found = [Int32](repeating: -1, count: xs.count)
        xs.withUnsafeBufferPointer { x in
            ys.withUnsafeBufferPointer { y in
                found.withUnsafeMutableBufferPointer { f in layer.locator.locate(xs: x, ys: y, into: f) }
            }
        }
        // Output: id bytes, comma, grid code, newline; sized first, then written through a pointer.
        var size = 0
        for k in 0..<xs.count {
            let g = Int(found[k])
            size += idEnd[k] - idStart[k] + 2 + (g >= 0 ? codes.start[g + 1] - codes.start[g] : 0)
        }
        var output = [UInt8](repeating: 0, count: size)
        var assigned = 0
        codes.bytes.withUnsafeBufferPointer { c in
            output.withUnsafeMutableBufferPointer { o in
                var w = 0
                for k in 0..<xs.count {
                    let n = idEnd[k] - idStart[k]
                    (o.baseAddress! + w).update(from: b.baseAddress! + idStart[k], count: n)
                    w += n
                    o[w] = 0x2C
                    w += 1
                    let g = Int(found[k])
                    if g >= 0 {
                        let len = codes.start[g + 1] - codes.start[g]
                        (o.baseAddress! + w).update(from: c.baseAddress! + codes.start[g], count: len)
                        w += len
                        assigned += 1
                    }
                    o[w] = 0x0A
                    w += 1
                }
            }
        }
        r.output = output
        r.assigned = assigned
        r.rows = xs.count
        return r
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
            return .failure(.notANumber(field: "lon", start: i, end: c1))
        }
        guard let lat = parseNumber(b, c1 + 1, end) else {
            return .failure(.notANumber(field: "lat", start: c1 + 1, end: end))
        }
        return .success(Row(idEnd: idEnd, lon: lon, lat: lat))
    }

    /// Why a row was refused. The text is made only when reported, keeping the hot path free of
    /// string work.
    enum RowError: Error {
        case fixed(StaticString)
        /// The field's name and its byte range in the chunk.
        case notANumber(field: StaticString, start: Int, end: Int)

        init(_ s: StaticString) { self = .fixed(s) }

        func reason(in b: UnsafeBufferPointer<UInt8>) -> String {
            switch self {
            case .fixed(let s): return s.description
            case .notANumber(let field, let s, let e):
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
