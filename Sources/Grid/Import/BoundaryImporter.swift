import Geo

/// Turns a GeoJSON file of administrative areas into boundaries. Properties: `code` (or Amap's
/// `adcode`), `name` (or `district`), `level` (county/town/village or 区县/乡镇/街道/村/社区), and an
/// optional `parent_code`.
public struct BoundaryImporter {
    public let crs: CRS
    public init(crs: CRS = .crs84) { self.crs = crs }

    public func boundaries(from bytes: [UInt8]) throws(ImportError) -> [Boundary] {
        let source = try FeatureSource(bytes: bytes, crs: crs)
        let ctx = GEOSContext()
        var problems: [ImportProblem] = []
        var out: [Boundary] = []
        var seen: [String: Int] = [:]
        for (k, f) in source.features.enumerated() {
            let code = FeatureSource.text(f[property: "code"]) ?? FeatureSource.text(f[property: "adcode"])
            let label = code.map { "code \($0)" }
            var bad: [String] = []
            if code == nil { bad.append("property code (or adcode) is missing or empty") }
            let name = FeatureSource.text(f[property: "name"]) ?? FeatureSource.text(f[property: "district"])
            if name == nil { bad.append("property name (or district) is missing or empty") }
            let levelText = FeatureSource.text(f[property: "level"])
            let level = levelText.flatMap(Boundary.Level.init(label:))
            if level == nil { bad.append("property level \(levelText.map { "\"\($0)\" " } ?? "")is not county, town or village") }
            if let code, let first = seen[code] { bad.append("duplicate code (also features[\(first)])") }
            if let code, seen[code] == nil { seen[code] = k }
            problems += bad.map { ImportProblem(feature: k, label: label, reason: $0) }
            switch FeatureSource.polygons(f, k, label, context: ctx) {
            case .failure(let p): problems.append(p)
            case .success(let polys):
                if bad.isEmpty, let code, let name, let level {
                    out.append(Boundary(code: code, name: name, level: level,
                                        parentCode: FeatureSource.text(f[property: "parent_code"]), area: polys))
                }
            }
        }
        guard problems.isEmpty else { throw ImportError(problems) }
        return out
    }
}
