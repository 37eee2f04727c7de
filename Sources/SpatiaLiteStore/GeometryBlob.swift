/// SpatiaLite's geometry BLOB read without SpatiaLite, for the hot read of the grid layer.
///
/// The format (SpatiaLite's "BLOB-Geometry"): 0x00, an endianness byte, the SRID (4 bytes), the MBR
/// (4 doubles), 0x7C, the class type (4 bytes), the body, 0xFE. For a point, line string or
/// polygon without Z or M and uncompressed the body is that of WKB, so WKB is the endianness byte,
/// the type and the body. Anything else (collections, whose members carry 0x69 marks where WKB has
/// endianness bytes; compressed or 3D geometries) is left to SpatiaLite's `AsBinary`.
enum GeometryBlob {
    static func wkb(_ blob: [UInt8]) -> [UInt8]? {
        guard blob.count >= 44, blob[0] == 0x00, blob[38] == 0x7C, blob[blob.count - 1] == 0xFE,
              blob[1] == 0x00 || blob[1] == 0x01 else { return nil }
        let t = blob[39..<43]
        let type = blob[1] == 0x01
            ? UInt32(t[t.startIndex]) | UInt32(t[t.startIndex + 1]) << 8 | UInt32(t[t.startIndex + 2]) << 16 | UInt32(t[t.startIndex + 3]) << 24
            : UInt32(t[t.startIndex + 3]) | UInt32(t[t.startIndex + 2]) << 8 | UInt32(t[t.startIndex + 1]) << 16 | UInt32(t[t.startIndex]) << 24
        guard (1...3).contains(type) else { return nil }
        return [blob[1]] + blob[39..<(blob.count - 1)]
    }
}
