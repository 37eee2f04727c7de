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
    func assign(piece: Int = 7, chunk: Int = 32, split: Bool = true, keep: Bool = false, _ input: String, crs: CRS = .crs84) throws -> (out: String, errors: [String], summary: CSVAssigner.Summary) {
        var a = CSVAssigner(layer: layer, crs: crs, keepColumns: keep)
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
        #expect(r.out == "id,grid_id\nx1,G1\nx2,G2\nfar,\n\"quoted,id\",G2\nlast,G2\n")
        #expect(r.errors.isEmpty)
        #expect(r.summary == CSVAssigner.Summary(rows: 5, assigned: 4, badRows: 0))
    }

    @Test(arguments: [true, false])
    func badRowsAreReportedWithLineNumbersAndLeftOut(split: Bool) throws {
        let r = try assign(split: split, "id,lon,lat\nok,106.05,30.05\nbad1,abc,30\nbad2,106.05\nbad3,200,30\n,106,30\nbad5,1,2,3\nok2,106.15,30.05\n")
        #expect(r.out == "id,grid_id\nok,G1\nok2,G2\n")
        #expect(r.errors == [
            "line 3: lon is not a number: \"abc\"",
            "line 4: expected 3 fields as in the header, found 2",
            "line 5: lon/lat 200.0,30.0 out of range",
            "line 6: empty id",
            "line 7: expected 3 fields as in the header, found 4",
        ])
        #expect(r.summary.badRows == 5)
    }

    @Test func aHeaderNamingTheColumnsIsRequired() throws {
        for input in ["a,106.05,30.05\n", "", "id,lon\nx,106.05\n"] {
            #expect(throws: CSVAssigner.InputError.self) { try assign(input) }
        }
        do { _ = try assign("name,106.05,30.05\n") } catch {
            #expect("\(error)" == "line 1: the header must name the columns id, lon and lat (lng/longitude/x and latitude/y are taken too); found: name,106.05,30.05")
        }
    }

    /// As spreadsheets, databases and scripts write CSV: a byte-order mark, CRLF, columns in another
    /// order with others between them, quoted numbers, full precision, exponents, a leading +.
    @Test(arguments: [true, false])
    func readsTheCSVPeopleHave(split: Bool) throws {
        let input = "\u{FEFF}\"Name\",LAT,Longitude,ID,note\r\n" +
            "\"王, 甲\",30.049999999999997,106.05000000000001,a1,\"say \"\"hi\"\"\"\r\n" +
            "b,\"30.05\",\" 106.15 \",a2,\r\n" +
            "c,3.005e1,+1.0615E2,\"a,3\",x\r\n"
        let r = try assign(split: split, input)
        #expect(r.errors.isEmpty)
        #expect(r.out == "id,grid_id\na1,G1\na2,G2\n\"a,3\",G2\n")
        let kept = try assign(split: split, keep: true, input)
        #expect(kept.out == "\"Name\",LAT,Longitude,ID,note,grid_id\n" +
            "\"王, 甲\",30.049999999999997,106.05000000000001,a1,\"say \"\"hi\"\"\",G1\n" +
            "b,\"30.05\",\" 106.15 \",a2,,G2\n" +
            "c,3.005e1,+1.0615E2,\"a,3\",x,G2\n")
    }

    /// Points a rounding step either side of the edge between G1 and G2 (lon 106.1, as a double): a
    /// full-precision number must be read to the last bit, or these land on the wrong side.
    @Test func fullPrecisionDecidesTheSideOfAnEdge() throws {
        let edge = 106.0 + 0.1
        let west = edge.nextDown, east = edge.nextUp
        let r = try assign("id,lon,lat\nw,\(west),30.05\ne,\(east),30.05\nw17,\(String(format: "%.17g", west)),30.05\n")
        #expect(r.out == "id,grid_id\nw,G1\ne,G2\nw17,G1\n")
    }

    @Test func withKeptColumnsTheIdIsOptional() throws {
        let r = try assign(keep: true, "lon,lat\n106.05,30.05\n")
        #expect(r.out == "lon,lat,grid_id\n106.05,30.05,G1\n")
        #expect(r.errors.isEmpty)
    }

    @Test func gcj02InputIsConverted() throws {
        // A point just inside G1's west edge in WGS84 is ~500 m east in GCJ-02 (inside G1 still);
        // given in GCJ-02, the WGS84 point near G2's west edge must land back in G1's side correctly.
        let w = Position(106.0999, 30.05)
        let g = try ChinaOffset.wgs84ToGCJ02(w)
        let r = try assign("id,lon,lat\np,\(g.lon),\(g.lat)\nparis,2.35,48.85\n", crs: .gcj02)
        #expect(r.out == "id,grid_id\np,G1\n")
        #expect(r.errors == ["line 3: 2.35,48.85 is outside China, where GCJ-02 is not defined"])
    }
}
