/// Well-Known Binary (OGC SFA / ISO), the exchange format with SpatiaLite (`GeomFromWKB`/`AsBinary`).
/// Written little-endian, 2D; read in either byte order, Z/M dimensions dropped.
public enum WKB {
    public struct DecodeError: Error, CustomStringConvertible, Sendable {
        public let reason: String
        public var description: String { "WKB: \(reason)" }
    }

    public static func encode(_ g: Geometry) -> [UInt8] {
        var out: [UInt8] = []
        write(g, &out)
        return out
    }

    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> Geometry {
        var r = Reader(bytes: bytes)
        return try r.geometry()
    }

    private static func write(_ g: Geometry, _ out: inout [UInt8]) {
        out.append(1)
        func u32(_ v: Int) { var x = UInt32(v).littleEndian; withUnsafeBytes(of: &x) { out.append(contentsOf: $0) } }
        func f64(_ v: Double) { var x = v.bitPattern.littleEndian; withUnsafeBytes(of: &x) { out.append(contentsOf: $0) } }
        func points(_ ps: [Position]) { u32(ps.count); for p in ps { f64(p.lon); f64(p.lat) } }
        func rings(_ p: Polygon) { u32(p.rings.count); for r in p.rings { points(r) } }
        switch g {
        case .point(let p): u32(1); f64(p.lon); f64(p.lat)
        case .lineString(let ps): u32(2); points(ps)
        case .polygon(let p): u32(3); rings(p)
        case .multiPoint(let ps): u32(4); u32(ps.count); for p in ps { write(.point(p), &out) }
        case .multiLineString(let ls): u32(5); u32(ls.count); for l in ls { write(.lineString(l), &out) }
        case .multiPolygon(let ps): u32(6); u32(ps.count); for p in ps { write(.polygon(p), &out) }
        case .geometryCollection(let gs): u32(7); u32(gs.count); for e in gs { write(e, &out) }
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var i = 0
        var little = true

        mutating func byte() throws(DecodeError) -> UInt8 {
            guard i < bytes.count else { throw DecodeError(reason: "truncated") }
            defer { i += 1 }
            return bytes[i]
        }
        mutating func u32() throws(DecodeError) -> UInt32 {
            guard i + 4 <= bytes.count else { throw DecodeError(reason: "truncated") }
            var v: UInt32 = 0
            for k in 0..<4 { v |= UInt32(bytes[i + k]) << (little ? 8 * k : 8 * (3 - k)) }
            i += 4
            return v
        }
        mutating func f64() throws(DecodeError) -> Double {
            guard i + 8 <= bytes.count else { throw DecodeError(reason: "truncated") }
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(bytes[i + k]) << (little ? 8 * k : 8 * (7 - k)) }
            i += 8
            return Double(bitPattern: v)
        }
        mutating func count() throws(DecodeError) -> Int {
            let n = Int(try u32())
            guard n <= (bytes.count - i) else { throw DecodeError(reason: "count \(n) exceeds the data") }
            return n
        }

        mutating func geometry() throws(DecodeError) -> Geometry {
            little = try byte() == 1
            var type = try u32()
            // EWKB flags (Z 0x80000000, M 0x40000000, SRID 0x20000000) and ISO 1000/2000/3000 offsets.
            var dims = 2
            if type & 0x8000_0000 != 0 { dims += 1 }
            if type & 0x4000_0000 != 0 { dims += 1 }
            if type & 0x2000_0000 != 0 { _ = try u32() }
            type &= 0x0FFF_FFFF
            switch type / 1000 {
            case 1, 2: dims = 3
            case 3: dims = 4
            default: break
            }
            type %= 1000
            func pos(_ r: inout Reader) throws(DecodeError) -> Position {
                let x = try r.f64(), y = try r.f64()
                for _ in 2..<dims { _ = try r.f64() }
                return Position(x, y)
            }
            func line(_ r: inout Reader) throws(DecodeError) -> [Position] {
                let n = try r.count()
                var ps: [Position] = []
                ps.reserveCapacity(n)
                for _ in 0..<n { ps.append(try pos(&r)) }
                return ps
            }
            func polygon(_ r: inout Reader) throws(DecodeError) -> Polygon {
                let n = try r.count()
                var rings: [[Position]] = []
                for _ in 0..<n { rings.append(try line(&r)) }
                return Polygon(rings)
            }
            func parts(_ r: inout Reader) throws(DecodeError) -> [Geometry] {
                let n = try r.count()
                var gs: [Geometry] = []
                for _ in 0..<n { gs.append(try r.geometry()) }
                return gs
            }
            switch type {
            case 1: return .point(try pos(&self))
            case 2: return .lineString(try line(&self))
            case 3: return .polygon(try polygon(&self))
            case 4: return .multiPoint(try parts(&self).compactMap { if case .point(let p) = $0 { p } else { nil } })
            case 5: return .multiLineString(try parts(&self).compactMap { if case .lineString(let l) = $0 { l } else { nil } })
            case 6: return .multiPolygon(try parts(&self).compactMap { if case .polygon(let p) = $0 { p } else { nil } })
            case 7: return .geometryCollection(try parts(&self))
            default: throw DecodeError(reason: "unknown geometry type \(type)")
            }
        }
    }
}
