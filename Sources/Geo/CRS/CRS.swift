import Foundation

/// The coordinate reference systems Wangge speaks. Storage is always WGS84 lon/lat.
public enum CRS: Hashable, Sendable, CustomStringConvertible {
    /// OGC CRS84: WGS84 with lon/lat axis order (RFC 7946, OGC API – Features default).
    case crs84
    /// An EPSG code through PROJ. Geographic codes are handled in lon/lat order here (PROJ's
    /// "normalized for visualization"), as OGC API – Features Part 2 output does for GeoJSON.
    case epsg(Int)
    /// GCJ-02 (国测局坐标, "Mars coordinates"): WGS84 plus a published obfuscation, used by Amap and
    /// Tencent maps. Defined only inside China.
    case gcj02
    /// BD-09: GCJ-02 plus Baidu's own shift.
    case bd09

    public static let wgs84 = CRS.epsg(4326)
    public static let cgcs2000 = CRS.epsg(4490)
    public static let webMercator = CRS.epsg(3857)

    /// Parses `CRS84`, `EPSG:4326`, OGC URIs (`http://www.opengis.net/def/crs/EPSG/0/3857`),
    /// `urn:ogc:def:crs:EPSG::4490`, `GCJ-02`/`gcj02`, `BD-09`/`bd09`, `wgs84`, `cgcs2000`.
    public init?(_ text: String) {
        let s = text.trimmingCharacters(in: .whitespaces)
        let lower = s.lowercased()
        switch lower {
        case "crs84", "ogc:crs84", "wgs84", "urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84",
             "http://www.opengis.net/def/crs/ogc/1.3/crs84": self = .crs84; return
        case "gcj02", "gcj-02", "gcj_02": self = .gcj02; return
        case "bd09", "bd-09", "bd_09": self = .bd09; return
        case "cgcs2000": self = .epsg(4490); return
        default: break
        }
        let code: Substring?
        if lower.hasPrefix("epsg:") { code = s.dropFirst(5) }
        else if lower.hasPrefix("http://www.opengis.net/def/crs/epsg/0/") { code = s.dropFirst(38) }
        else if lower.hasPrefix("urn:ogc:def:crs:epsg::") { code = s.dropFirst(22) }
        else if lower.hasPrefix("urn:ogc:def:crs:epsg:") {
            code = s.split(separator: ":", omittingEmptySubsequences: false).last
        } else { code = nil }
        guard let code, let n = Int(code), n > 0 else { return nil }
        self = .epsg(n)
    }

    /// The OGC URI, as OGC API – Features Part 2 names CRSs.
    public var uri: String {
        switch self {
        case .crs84: "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
        case .epsg(let n): "http://www.opengis.net/def/crs/EPSG/0/\(n)"
        case .gcj02: "GCJ-02"
        case .bd09: "BD-09"
        }
    }

    public var description: String {
        switch self {
        case .crs84: "CRS84"
        case .epsg(let n): "EPSG:\(n)"
        case .gcj02: "GCJ-02"
        case .bd09: "BD-09"
        }
    }

    /// True when coordinates in this CRS are WGS84 lon/lat as stored (no transformation needed).
    public var isWGS84LonLat: Bool { self == .crs84 || self == .epsg(4326) }

    /// PROJ's name for this CRS, or nil for the China offsets PROJ does not know.
    var projName: String? {
        switch self {
        case .crs84: "OGC:CRS84"
        case .epsg(let n): "EPSG:\(n)"
        case .gcj02, .bd09: nil
        }
    }

    /// The CGCS2000 3-degree Gauss-Krüger zone (central-meridian variant, no zone prefix in the easting)
    /// containing `longitude`: EPSG:4534 (75°E) … EPSG:4554 (135°E). Used for metric work in one county.
    public static func gaussKruger3(forLongitude longitude: Double) -> CRS? {
        let zone = Int((longitude / 3).rounded())
        guard (25...45).contains(zone) else { return nil }
        return .epsg(4534 + zone - 25)
    }
}
