import Foundation
import Geo
import Testing
@testable import Grid

@Suite struct CSVAssignerTests {
    let layer = GridLayer(grids: [
        Grid(code: "G1", name: "a", households: 400, polygon: square(106.0, 30.0, 0.1)),
        Grid(code: "G2", name: "b", households: 400, polygon: square(106.1, 30.0, 0.1)),
    ])

    /// Runs the assigner over `input` fed in pieces of `piece` bytes, with a tiny chunk buffer so that
    /// rows straddle chunk boundaries.
    func assign(piece: Int = 7, chunk: Int = 32, split: Bool = true, _ input: String, crs: CRS = .crs84) throws -> (out: String, errors: [String], summary: CSVAssigner.Summary) {
        var a = CSVAssigner(layer: layer, crs: crs)
        a.chunkSize = chunk
        // Split every chunk in two (as large inputs are, across cores) unless told otherwise.
        a.parallelThreshold = split ? 0 : .max
        let bytes = Array(input.utf8)
        var pos = 0
        var out: [UInt8] = []
        var errors: [String] = []
        let s = try a.run(
            read: { buf in
                let n = min(piece, buf.count, bytes.count - pos)
                for k in 0..<n { buf[k] = bytes[pos + k] }
                pos += n
                return n
            },
            write: { out.append(contentsOf: $0) },
            report: { errors.append($0) })
        return (String(decoding: out, as: UTF8.self), errors, s)
    }

    @Test(arguments: [(7, 32), (1, 16), (1000, 1 << 16)])
    func assignsInInputOrderAcrossChunkBoundaries(piece: Int, chunk: Int) throws {
        let r = try assign(piece: piece, chunk: chunk, "id,lon,lat\r\nx1,106.05,30.05\r\nx2,106.15,30.05\nfar,100,20\n\"quoted,id\",106.1,30.05\nlast,106.19,30.01")
        #expect(r.out == "x1,G1\nx2,G2\nfar,\n\"quoted,id\",G2\nlast,G2\n")
        #expect(r.errors.isEmpty)
        #expect(r.summary == CSVAssigner.Summary(rows: 5, assigned: 4, badRows: 0))
    }

    @Test(arguments: [true, false])
    func badRowsAreReportedWithLineNumbersAndLeftOut(split: Bool) throws {
        let r = try assign(split: split, "id,lon,lat\nok,106.05,30.05\nbad1,abc,30\nbad2,106.05\nbad3,200,30\n,106,30\nbad5,1,2,3\nok2,106.15,30.05\n")
        #expect(r.out == "ok,G1\nok2,G2\n")
        #expect(r.errors == [
            "line 3: lon is not a number: \"abc\"",
            "line 4: expected 3 fields id,lon,lat",
            "line 5: lon/lat 200.0,30.0 out of range",
            "line 6: empty id",
            "line 7: expected 3 fields id,lon,lat, found more",
        ])
        #expect(r.summary.badRows == 5)
    }

    @Test func headerIsRequired() throws {
        let r = try assign("a,106.05,30.05\n")
        #expect(r.errors == ["line 1: the first line must be the header id,lon,lat"])
        #expect(r.out.isEmpty)
    }

    @Test func gcj02InputIsConverted() throws {
        // A point just inside G1's west edge in WGS84 is ~500 m east in GCJ-02 (inside G1 still);
        // given in GCJ-02, the WGS84 point near G2's west edge must land back in G1's side correctly.
        let w = Position(106.0999, 30.05)
        let g = try ChinaOffset.wgs84ToGCJ02(w)
        let r = try assign("id,lon,lat\np,\(g.lon),\(g.lat)\nparis,2.35,48.85\n", crs: .gcj02)
        #expect(r.out == "p,G1\n")
        #expect(r.errors == ["line 3: 2.35,48.85 is outside China, where GCJ-02 is not defined"])
    }

    @Test func numbersParseExactly() {
        let cases = ["106.1234567", "-0.5", "30", "1e2", "  106.25 ", "+3.5", "0.000000000000000000001", "12345678901234567890.5"]
        for c in cases {
            let b = Array(c.utf8)
            let v = b.withUnsafeBufferPointer { CSVAssigner.parseNumber($0, 0, $0.count) }
            #expect(v == Double(c.trimmingCharacters(in: .whitespaces)), "\(c)")
        }
        for junk in ["", "1.2.3", "abc", "1-", "nan-ish"] {
            let b = Array(junk.utf8)
            #expect(b.withUnsafeBufferPointer { CSVAssigner.parseNumber($0, 0, $0.count) } == nil, "\(junk)")
        }
    }
}
