import Foundation
import Testing
@testable import Geo

@Suite struct CRSTests {
    // Published reference pairs (the widely used coordtransform test values for 116.404, 39.915).
    @Test func gcj02ForwardMatchesPublishedPair() throws {
        let g = try ChinaOffset.wgs84ToGCJ02(Position(116.404, 39.915))
        #expect(abs(g.lon - 116.41024449916938) < 1e-9)
        #expect(abs(g.lat - 39.91640428150164) < 1e-9)
    }

    @Test func bd09MatchesPublishedPairs() {
        let b = ChinaOffset.gcj02ToBD09(Position(116.404, 39.915))
        #expect(abs(b.lon - 116.41036949371029) < 1e-9)
        #expect(abs(b.lat - 39.92133699351021) < 1e-9)
        // The published inverse is the one-step approximation; ours iterates, so compare to 1e-5° (≈1 m)
        // and check that it is closer than the published one.
        let g = ChinaOffset.bd09ToGCJ02(Position(116.404, 39.915))
        #expect(abs(g.lon - 116.39762729119315) < 1e-5 && abs(g.lat - 39.90865673957631) < 1e-5)
        let f = ChinaOffset.gcj02ToBD09(g)
        #expect(Geodesy.distance(f, Position(116.404, 39.915)) < 0.01)
    }

    @Test func gcj02InverseIsWithinOneCentimetreAcrossChina() throws {
        var worst = 0.0
        var count = 0
        for lon in stride(from: 73.5, through: 135.0, by: 0.5) {
            for lat in stride(from: 18.0, through: 53.5, by: 0.5) {
                let w = Position(lon, lat)
                let g = try ChinaOffset.wgs84ToGCJ02(w)
                let back = try ChinaOffset.gcj02ToWGS84(g)
                worst = max(worst, Geodesy.distance(w, back))
                // And the other way round: the forward of the inverse lands on the input.
                let w2 = try ChinaOffset.gcj02ToWGS84(w)
                worst = max(worst, Geodesy.distance(try ChinaOffset.wgs84ToGCJ02(w2), w))
                let b = try ChinaOffset.bd09ToWGS84(try ChinaOffset.wgs84ToBD09(w))
                worst = max(worst, Geodesy.distance(w, b))
                count += 1
            }
        }
        #expect(count > 8000)
        #expect(worst < 0.01, "worst round trip \(worst) m")
    }

    @Test func gcj02OffsetIsHundredsOfMetres() throws {
        // Sanity of magnitude in Qu County: the shift is a few hundred metres, never zero, never km.
        let w = Position(106.97, 30.84)
        let d = Geodesy.distance(w, try ChinaOffset.wgs84ToGCJ02(w))
        #expect(d > 100 && d < 1000)
    }

    @Test func gcj02RefusesPointsOutsideChina() {
        #expect(throws: ChinaOffset.OutsideChina.self) { try ChinaOffset.gcj02ToWGS84(Position(2.35, 48.85)) }
        #expect(throws: ChinaOffset.OutsideChina.self) { try ChinaOffset.wgs84ToGCJ02(Position(-74, 40.7)) }
        #expect(throws: CRSError.self) { try CoordinateConverter(from: .gcj02, to: .crs84).convert(Position(2.35, 48.85)) }
    }

    @Test func projGaussKrugerMatchesKnownCoordinates() throws {
        #expect(CRS.gaussKruger3(forLongitude: 108.5) == .epsg(4545))
        #expect(CRS.gaussKruger3(forLongitude: 106.9) == .epsg(4545))
        #expect(CRS.gaussKruger3(forLongitude: 75.0) == .epsg(4534))
        #expect(CRS.gaussKruger3(forLongitude: 2.0) == nil)
        let t = try ProjTransform(from: .cgcs2000, to: .epsg(4545))
        let p = try t.transform(Position(108.5, 34))
        #expect(abs(p.lon - 546192.6145) < 0.001 && abs(p.lat - 3763774.1510) < 0.001, "got \(p)")
        // On the central meridian the easting is the false easting, 500 km.
        #expect(abs(try t.transform(Position(108, 30)).lon - 500000) < 1e-6)
    }

    @Test func projWebMercatorAndCGCS2000() throws {
        let m = try ProjTransform(from: .crs84, to: .webMercator)
        let e = try m.transform(Position(180, 0))
        #expect(abs(e.lon - 20037508.342789244) < 1e-6 && abs(e.lat) < 1e-6)
        let n = try m.transform(Position(0, 85.0511287798066))
        #expect(abs(n.lat - 20037508.342789244) < 0.01)
        // EPSG:4326 is lat/lon by authority; we always speak lon/lat.
        let g = try ProjTransform(from: .crs84, to: .wgs84).transform(Position(106.9, 30.8))
        #expect(g.lon == 106.9 && g.lat == 30.8)
        // CGCS2000 and WGS84 agree to well under a metre (PROJ uses a null transformation).
        let c = try ProjTransform(from: .crs84, to: .cgcs2000).transform(Position(106.9, 30.8))
        #expect(Geodesy.distance(c, Position(106.9, 30.8)) < 1)
        // Batch transform agrees with the single one.
        var xs = [106.9, 107.1], ys = [30.8, 31.0]
        try m.transform(xs: &xs, ys: &ys)
        #expect(abs(xs[1] - (try m.transform(Position(107.1, 31.0))).lon) < 1e-6)
    }

    @Test func converterChainsThroughWGS84() throws {
        let w = Position(106.97, 30.84)
        let gk = try CoordinateConverter(from: .gcj02, to: .epsg(4545)).convert(try ChinaOffset.wgs84ToGCJ02(w))
        let direct = try ProjTransform(from: .crs84, to: .epsg(4545)).transform(w)
        #expect(abs(gk.lon - direct.lon) < 0.01 && abs(gk.lat - direct.lat) < 0.01)
        #expect(throws: CRSError.self) { try ProjTransform(from: .epsg(999_999), to: .crs84) }
    }

    @Test(arguments: [
        ("CRS84", CRS.crs84), ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", .crs84),
        ("EPSG:4326", .epsg(4326)), ("http://www.opengis.net/def/crs/EPSG/0/3857", .epsg(3857)),
        ("urn:ogc:def:crs:EPSG::4490", .epsg(4490)), ("GCJ-02", .gcj02), ("gcj02", .gcj02), ("BD-09", .bd09),
    ])
    func crsNamesParse(text: String, crs: CRS) { #expect(CRS(text) == crs) }

    @Test func unknownCRSNamesDoNotParse() {
        #expect(CRS("EPSG:abc") == nil)
        #expect(CRS("mars") == nil)
    }

    @Test func localAreaIsExactForStraightLonLatEdges() {
        // A 1° × 1° cell at the equator: R² · Δλ · (sin 1° − sin 0°).
        let r = 6_371_008.8, rad = Double.pi / 180
        let cell = Geometry.polygon(Polygon([[.init(0, 0), .init(1, 0), .init(1, 1), .init(0, 1), .init(0, 0)]]))
        #expect(abs(Geodesy.localArea(of: cell) - r * r * rad * sin(rad)) < 1e-3)
        // Extra vertices along the edges change nothing; nor does the direction.
        let dense = Geometry.polygon(Polygon([[.init(0, 0), .init(0.5, 0), .init(1, 0), .init(1, 0.3), .init(1, 1), .init(0.2, 1), .init(0, 1), .init(0, 0.7), .init(0, 0)]]))
        #expect(abs(Geodesy.localArea(of: dense) - Geodesy.localArea(of: cell)) < 1e-3)
        // A hole is subtracted; a sliver 1e-9° wide and 3 km long is about 0.3 m², not the sag of a geodesic.
        let sliver = Geometry.polygon(Polygon([[.init(106.9, 31.0), .init(106.93, 31.0), .init(106.93, 31.000000001), .init(106.9, 31.0)]]))
        #expect(Geodesy.localArea(of: sliver) < 0.2)
    }

    @Test func geodesicMeasuresAreInMetres() throws {
        // One degree of longitude on the equator is a × π / 180.
        #expect(abs(Geodesy.distance(Position(0, 0), Position(1, 0)) - 111_319.490793) < 0.001)
        // A county-sized polygon: the geodesic area matches GEOS's planar area in the local
        // Gauss-Krüger zone (a conformal projection: 0.1 % scale error at most near its meridian).
        let ring = [Position(106.8, 30.7), Position(107.1, 30.7), Position(107.1, 31.0), Position(106.8, 31.0), Position(106.8, 30.7)]
        let g = Geometry.polygon(Polygon([ring]))
        let projected = try CoordinateConverter(from: .crs84, to: .epsg(4545)).convert(g)
        let ctx = GEOSContext()
        let planar = try ctx.shape(projected).planarArea
        let geodesic = Geodesy.area(of: g)
        #expect(abs(planar - geodesic) / geodesic < 0.002, "planar \(planar) geodesic \(geodesic)")
        #expect(abs(Geodesy.length(of: g) - (try ctx.shape(projected).planarLength)) / Geodesy.length(of: g) < 0.002)
    }
}
