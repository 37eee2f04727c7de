import Foundation
import Geo

/// Streams CSV with a header naming `id`, `lon` and `lat` columns (any order, other columns
/// allowed) to CSV `id,grid_id` in input order, or with `keepColumns` to every input column followed
/// by `grid_id`; a chunk at a time, so memory stays at a few chunks whatever the input size. A row
/// that cannot be read is reported with its line number and left out of the output.
///
/// What it reads, as spreadsheets, databases and scripts write it: a UTF-8 byte-order mark, CRLF or
/// LF line ends, fields in double quotes (RFC 4180; a quoted field may not span lines), numbers at
/// full precision, with a sign or an exponent (`1.0719e2`), parsed exactly (`DecimalParser`).
public struct CSVAssigner: Sendable {
    public let layer: GridLayer
    /// The CRS of the input coordinates: WGS84 or GCJ-02 (converted per point).
    public let crs: CRS
    /// Every input column goes out, `grid_id` appended; the `id` column is then optional.
    public var keepColumns = false
    public var chunkSize = 1 << 22
    /// Bad rows reported one by one, up to this many; the rest are counted.
    public var maxReportedErrors = 100

    public init(layer: GridLayer, crs: CRS = .crs84, keepColumns: Bool = false) {
        self.layer = layer
        self.crs = crs
        self.keepColumns = keepColumns
    }

    public struct Summary: Sendable, Equatable {
        public var rows = 0
        public var assigned = 0
        public var badRows = 0
    }

    /// The input cannot be read as points at all (no usable header).
    public struct InputError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Where the columns are, from the header line.
    struct Columns: Sendable {
        var count: Int
        var id: Int?
        var lon: Int
        var lat: Int

        static let lonNames: Set<String> = ["lon", "lng", "long", "longitude", "x"]
        static let latNames: Set<String> = ["lat", "latitude", "y"]

        init(header: [UInt8], idRequired: Bool) throws(InputError) {
            var text = String(decoding: header, as: UTF8.self)
            if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
            let names = CSVAssigner.fields(of: text).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            func index(_ accepted: Set<String>) -> Int? { names.firstIndex { accepted.contains($0) } }
            count = names.count
            id = index(["id"])
            guard let lon = index(Self.lonNames), let lat = index(Self.latNames), id != nil || !idRequired else {
                let needed = idRequired ? "id, lon and lat" : "lon and lat"
                throw InputError(description: "line 1: the header must name the columns \(needed) (lng/longitude/x and latitude/y are taken too); found: \(names.joined(separator: ","))")
            }
            self.lon = lon
            self.lat = lat
        }
    }

    /// The fields of one line (RFC 4180 quoting), unquoted; for the header only.
    static func fields(of line: String) -> [String] {
        var out: [String] = [], field = "", quoted = false, chars = Array(line), k = 0
        while k < chars.count {
            let c = chars[k]
            if quoted {
                if c == "\"" {
                    if k + 1 < chars.count && chars[k + 1] == "\"" { field.append("\""); k += 1 } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" { quoted = true }
            else if c == "," { out.append(field); field = "" }
            else { field.append(c) }
            k += 1
        }
        out.append(field)
        return out
    }

    /// Chunks larger than this are split at a line boundary and their halves processed on two
    /// cores; the output and the reports still come in input order.
    public var parallelThreshold = 1 << 16

    /// - Parameters:
    ///   - read: fills the buffer, returns bytes read (0 at end of input, < 0 on error).
    ///   - write: takes output bytes, the header line first.
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
        var columns: Columns?
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
            if columns == nil {
                let nl = buffer[..<end].firstIndex(of: 0x0A) ?? end
                lineNumber += 1
                start = min(nl + 1, end)
                var header = Array(buffer[..<nl])
                if header.last == 0x0D { header.removeLast() }
                let c = try Columns(header: header, idRequired: !keepColumns)
                columns = c
                var out = keepColumns ? header : Array("id".utf8)
                if keepColumns && out.starts(with: [0xEF, 0xBB, 0xBF]) { out.removeFirst(3) }
                out += Array(",grid_id\n".utf8)
                out.withUnsafeBytes { write($0) }
            }
            guard let columns else { continue }
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
                        work.results[k] = process(work.bytes, work.cuts[k], work.cuts[k + 1], codes, columns)
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
    private func process(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ codes: CodeTable, _ columns: Columns) -> SliceResult {
        var r = SliceResult()
        var xs: [Double] = [], ys: [Double] = []
        // The bytes each output row starts with: the id field, or the whole line.
        var copyStart: [Int] = [], copyEnd: [Int] = []
        let estimate = (end - start) / 24
        xs.reserveCapacity(estimate); ys.reserveCapacity(estimate)
        copyStart.reserveCapacity(estimate); copyEnd.reserveCapacity(estimate)
        let gcj = crs == .gcj02
        let numbers = DecimalParser.shared
        let base = b.baseAddress!
        func bad(_ reason: @autoclosure () -> String) {
            r.badRows += 1
            if r.errors.count <= maxReportedErrors {
                let line = r.lines, text = reason()
                r.errors.append((line, text))
            }
        }
        var i = start
        rows: while i < end {
            let j = memchr(base + i, 0x0A, end - i).map { UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - base } ?? end
            var lineEnd = j
            if lineEnd > i && b[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            r.lines += 1
            defer { i = j + 1 }
            if lineEnd == i { continue }   // blank line
            // Walk the fields; numbers are parsed where they stand, without a second pass.
            var field = 0, fs = i
            var lon = Double.nan, lat = Double.nan
            var idStart = i, idEnd = i
            while true {
                var fe = fs
                let isLon = field == columns.lon, isLat = field == columns.lat
                if isLon || isLat, let n = numbers.scan(base, fs, lineEnd, readable: end), n.next == lineEnd || b[n.next] == 0x2C {
                    if isLon { lon = n.value } else { lat = n.value }
                    fe = n.next
                } else {
                    var cs = fs, ce: Int
                    if fs < lineEnd && b[fs] == 0x22 {
                        fe += 1
                        while true {
                            guard fe < lineEnd else { bad("unterminated quoted field"); continue rows }
                            if b[fe] == 0x22 {
                                if fe + 1 < lineEnd && b[fe + 1] == 0x22 { fe += 2; continue }
                                break
                            }
                            fe += 1
                        }
                        cs = fs + 1; ce = fe
                        fe += 1
                        guard fe == lineEnd || b[fe] == 0x2C else { bad("expected ',' after a quoted field"); continue rows }
                    } else {
                        while fe < lineEnd && b[fe] != 0x2C { fe += 1 }
                        ce = fe
                    }
                    if isLon || isLat {
                        guard let v = numbers.parse(base, cs, ce) else {
                            bad("\(isLon ? "lon" : "lat") is not a number: \"\(String(decoding: UnsafeBufferPointer(rebasing: b[cs..<ce]), as: UTF8.self))\"")
                            continue rows
                        }
                        if isLon { lon = v } else { lat = v }
                    }
                }
                if field == columns.id { idStart = fs; idEnd = fe }
                field += 1
                if fe >= lineEnd { break }
                fs = fe + 1
            }
            guard field == columns.count else {
                bad("expected \(columns.count) fields as in the header, found \(field)")
                continue
            }
            if columns.id != nil && idEnd == idStart { bad("empty id"); continue }
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
            if keepColumns { copyStart.append(i); copyEnd.append(lineEnd) } else { copyStart.append(idStart); copyEnd.append(idEnd) }
        }
        var found = [Int32](repeating: -1, count: xs.count)
        xs.withUnsafeBufferPointer { x in
            ys.withUnsafeBufferPointer { y in
                found.withUnsafeMutableBufferPointer { f in layer.locator.locate(xs: x, ys: y, into: f) }
            }
        }
        // Output: the copied bytes, comma, grid code, newline; sized first, then written through a pointer.
        var size = 0
        for k in 0..<xs.count {
            let g = Int(found[k])
            size += copyEnd[k] - copyStart[k] + 2 + (g >= 0 ? codes.start[g + 1] - codes.start[g] : 0)
        }
        var output = [UInt8](repeating: 0, count: size)
        var assigned = 0
        codes.bytes.withUnsafeBufferPointer { c in
            output.withUnsafeMutableBufferPointer { o in
                var w = 0
                for k in 0..<xs.count {
                    let n = copyEnd[k] - copyStart[k]
                    (o.baseAddress! + w).update(from: base + copyStart[k], count: n)
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
}
