import Foundation
import Testing
import TestSupport
@testable import Geo

/// Vector tiles as GDAL's MVT driver reads them: geometry where it belongs, clipped, rings the
/// right way round, properties and ids intact.
@Suite struct VectorTileTests {
    let ctx = GEOSContext()
    // A tile over Qu County's seat at zoom 12, and the county seat itself.
    let tile = WebMercator.tile(containing: Position(106.97, 30.84), zoom: 12)

    /// Writes a tile where GDAL finds its z/x/y in the path, and reads it back as lon/lat GeoJSON
    /// (GDAL clips to the tile itself, buffer excluded).
    func readWithGDAL(_ bytes: [UInt8], layer: String) throws -> GeoJSONDocument {
        let dir = TempDir()
        let file = dir.path("\(tile.z)/\(tile.x)/\(tile.y).mvt")
        try FileManager.default.createDirectory(atPath: dir.path("\(tile.z)/\(tile.x)"), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: file, contents: Data(bytes))
        let out = dir.path("out.geojson")
        let r = try sh("/usr/bin/ogr2ogr", ["-f", "GeoJSON", "-t_srs", "EPSG:4326", "-lco", "RFC7946=YES", out, file, layer])
        #expect(r.status == 0, "\(r.err)")
        return try GeoJSONReader().read(Array(try Data(contentsOf: URL(fileURLWithPath: out))))
    }

    @Test func tileIDsStayInsideTheWorld() {
        #expect(TileID(z: 0, x: 0, y: 0) != nil)
        #expect(TileID(z: 3, x: 8, y: 0) == nil && TileID(z: 3, x: 0, y: -1) == nil)
        #expect(TileID(z: 11, x: 1, y: 1, zooms: 12...18) == nil)
        let b = tile.bounds
        #expect(b.contains(Position(106.97, 30.84)))
        // Neighbouring tiles meet exactly.
        #expect(TileID(z: tile.z, x: tile.x + 1, y: tile.y)!.bounds.minLon == b.maxLon)
        #expect(abs(TileID(z: tile.z, x: tile.x, y: tile.y + 1)!.bounds.maxLat - b.minLat) < 1e-12)
        let (lon, lat) = WebMercator.lonLat(fx: WebMercator.fraction(Position(106.97, 30.84)).x, fy: WebMercator.fraction(Position(106.97, 30.84)).y)
        #expect(abs(lon - 106.97) < 1e-9 && abs(lat - 30.84) < 1e-9)
    }

    @Test func pointsAndPropertiesRoundTripThroughGDAL() throws {
        var layer = VectorTileLayer(name: "cases", tile: tile)
        let b = tile.bounds
        let inside = Position(b.minLon + (b.maxLon - b.minLon) * 0.3, b.minLat + (b.maxLat - b.minLat) * 0.6)
        let inTile = layer.add(id: 42, geometry: .point(inside), properties: JSONObject([
            ("status", "mediating"), ("priority_rank", .integer(-3)), ("score", .number(0.75)), ("overdue", .bool(true)),
            ("closed_at", .null), ("name", "渠县")]))
        // Far outside the tile and its buffer: left out.
        let farOff = layer.add(id: 43, geometry: .point(Position(b.maxLon + 1, b.maxLat)), properties: JSONObject())
        #expect(inTile && !farOff)
        let fc = try readWithGDAL(VectorTileLayer.tile([layer]), layer: "cases")
        #expect(fc.features.count == 1)
        let f = try #require(fc.features.first)
        #expect(f[property: "status"] == "mediating" && f[property: "name"] == "渠县")
        #expect(f[property: "priority_rank"]?.integerValue == -3)
        #expect(f[property: "score"]?.doubleValue == 0.75)
        #expect(f[property: "overdue"] == .bool(true) || f[property: "overdue"]?.integerValue == 1)
        #expect(f[property: "closed_at"] == nil)
        #expect(f[property: "mvt_id"]?.integerValue == 42)
        guard case .point(let p)? = f.geometry else { Issue.record("not a point"); return }
        // One tile unit at zoom 12 is about 10 m: within a unit of where it was.
        let unit = (b.maxLon - b.minLon) / 4096
        #expect(abs(p.lon - inside.lon) < unit && abs(p.lat - inside.lat) < unit)
    }

    @Test func polygonsAreClippedWithHolesAndRightOrientation() throws {
        let b = tile.bounds
        let w = b.maxLon - b.minLon, h = b.maxLat - b.minLat
        // A square larger than the tile on its west side, with a hole inside the tile; written with
        // the exterior clockwise here (against RFC 7946), and the other way round below: the encoder
        // orients rings itself.
        let outer = [Position(b.minLon - w, b.minLat + h * 0.2), Position(b.minLon - w, b.minLat + h * 0.8),
                     Position(b.minLon + w * 0.7, b.minLat + h * 0.8), Position(b.minLon + w * 0.7, b.minLat + h * 0.2),
                     Position(b.minLon - w, b.minLat + h * 0.2)]
        let hole = [Position(b.minLon + w * 0.3, b.minLat + h * 0.4), Position(b.minLon + w * 0.5, b.minLat + h * 0.4),
                    Position(b.minLon + w * 0.5, b.minLat + h * 0.6), Position(b.minLon + w * 0.3, b.minLat + h * 0.6),
                    Position(b.minLon + w * 0.3, b.minLat + h * 0.4)]
        let polygon = Geometry.polygon(Polygon([outer, hole]))
        var layer = VectorTileLayer(name: "grids", tile: tile)
        let added = layer.add(id: 511725001001001, geometry: polygon, properties: JSONObject([("grid_id", "511725001001001")]))
        #expect(added)
        // Two tiles west: nothing of it there.
        var west = VectorTileLayer(name: "grids", tile: TileID(z: tile.z, x: tile.x - 3, y: tile.y)!)
        let offTile = west.add(id: 1, geometry: .polygon(Polygon([hole])), properties: JSONObject())
        #expect(!offTile)
        #expect(VectorTileLayer.tile([west]).isEmpty)

        // MVT 2.1 §4.3.4.4: exterior rings have positive area in tile coordinates, holes negative
        // (GDAL reads either way round, so the rings are checked from the bytes).
        #expect(ringAreaSigns(VectorTileLayer.tile([layer])) == [1, -1])
        var rightHanded = VectorTileLayer(name: "grids", tile: tile)
        rightHanded.add(id: 1, geometry: .polygon(RingMath.rightHanded(Polygon([outer, hole]))), properties: JSONObject())
        #expect(ringAreaSigns(VectorTileLayer.tile([rightHanded])) == [1, -1])

        let fc = try readWithGDAL(VectorTileLayer.tile([layer]), layer: "grids")
        let f = try #require(fc.features.first)
        #expect(f[property: "mvt_id"]?.integerValue == 511725001001001)
        let read = try ctx.shape(try #require(f.geometry))
        #expect(read.validity == .valid)
        let expected = try ctx.shape(polygon).intersection(try ctx.rectangle(b))
        // Same area as the polygon cut to the tile (hole included) to within rounding to tile units.
        #expect(abs(read.planarArea - expected.planarArea) / expected.planarArea < 0.005,
                "\(read.planarArea) vs \(expected.planarArea)")
        #expect(try read.symmetricDifference(expected).planarArea / expected.planarArea < 0.01)
    }

    /// The sign of each ring's area in the first feature of the first layer, read from the tile's
    /// protocol buffers and geometry commands.
    func ringAreaSigns(_ tile: [UInt8]) -> [Int] {
        func fields(_ b: ArraySlice<UInt8>) -> [(Int, ArraySlice<UInt8>)] {
            var out: [(Int, ArraySlice<UInt8>)] = []
            var i = b.startIndex
            func varint() -> UInt64 {
                var v: UInt64 = 0, shift: UInt64 = 0
                while true { let x = b[i]; i += 1; v |= UInt64(x & 0x7f) << shift; shift += 7; if x < 0x80 { return v } }
            }
            while i < b.endIndex {
                let key = varint()
                switch key & 7 {
                case 0: _ = varint()
                case 1: i += 8
                case 2: let n = Int(varint()); out.append((Int(key >> 3), b[i..<(i + n)])); i += n
                default: return out
                }
            }
            return out
        }
        func varints(_ b: ArraySlice<UInt8>) -> [UInt32] {
            var out: [UInt32] = [], v: UInt32 = 0, shift: UInt32 = 0
            for x in b { v |= UInt32(x & 0x7f) << shift; shift += 7; if x < 0x80 { out.append(v); v = 0; shift = 0 } }
            return out
        }
        guard let layer = fields(tile[...]).first(where: { $0.0 == 3 })?.1,
              let feature = fields(layer).first(where: { $0.0 == 2 })?.1,
              let geometry = fields(feature).first(where: { $0.0 == 4 })?.1 else { return [] }
        let cmds = varints(geometry)
        var signs: [Int] = [], ring: [(Int64, Int64)] = [], x: Int64 = 0, y: Int64 = 0, k = 0
        func unzig(_ v: UInt32) -> Int64 { Int64(v >> 1) ^ -Int64(v & 1) }
        while k < cmds.count {
            let id = cmds[k] & 7, count = Int(cmds[k] >> 3)
            k += 1
            if id == 7 {
                var a: Int64 = 0
                for j in ring.indices { let p = ring[j], q = ring[(j + 1) % ring.count]; a += p.0 * q.1 - q.0 * p.1 }
                signs.append(a > 0 ? 1 : -1)
                ring = []
                continue
            }
            for _ in 0..<count {
                x += unzig(cmds[k]); y += unzig(cmds[k + 1]); k += 2
                ring.append((x, y))
            }
        }
        return signs
    }
}
