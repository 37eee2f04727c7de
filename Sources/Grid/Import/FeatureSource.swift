import Geo

/// Reads a GeoJSON file for import: parses strictly, converts from the declared CRS to WGS84, and
/// checks each area with GEOS. Shared by the grid and boundary importers.
public struct FeatureSource {
    public let features: [Feature]

    /// - Parameter crs: the CRS of the file's coordinates: WGS84 (`.crs84`) or GCJ-02.
    public init(bytes: [UInt8], crs: CRS) throws(ImportError) {
        guard bytes.contains(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else { throw ImportError("the file is empty") }
        let doc: GeoJSONDocument
        do { doc = try GeoJSONReader().read(bytes) } catch {
            throw ImportError([ImportProblem(feature: nil, reason: error.description)])
        }
        let fs = doc.features
        guard !fs.isEmpty else { throw ImportError("the file has no features") }
        guard crs.isWGS84LonLat || crs == .gcj02 else { throw ImportError("unsupported input CRS \(crs): use wgs84 or gcj02") }
        var converted: [Feature] = []
        var problems: [ImportProblem] = []
        for (k, f) in fs.enumerated() {
            var f = f
            if crs == .gcj02, let g = f.geometry {
                do {
                    f.geometry = try g.mapPositions { p in try ChinaOffset.gcj02ToWGS84(p) }
                } catch let e as ChinaOffset.OutsideChina {
                    problems.append(ImportProblem(feature: k, reason: "geometry: \(e.description); is --crs gcj02 right?"))
                } catch {
                    problems.append(ImportProblem(feature: k, reason: "geometry: \(error)"))
                }
            }
            converted.append(f)
        }
        guard problems.isEmpty else { throw ImportError(problems) }
        features = converted
    }

    /// The polygons of feature `k`, checked valid by GEOS; a problem otherwise.
    static func polygons(_ f: Feature, _ k: Int, _ label: String?, context: GEOSContext) -> Result<[Polygon], ImportProblem> {
        guard let g = f.geometry else { return .failure(ImportProblem(feature: k, label: label, reason: "geometry is null")) }
        let polys = g.polygons
        guard !polys.isEmpty else {
            return .failure(ImportProblem(feature: k, label: label, reason: "geometry is a \(g.typeName), a Polygon or MultiPolygon is required"))
        }
        do {
            let shape = try context.shape(g)
            if case .invalid(let reason, let at) = shape.validity {
                let place = at.map { " at \($0.lon) \($0.lat)" } ?? ""
                return .failure(ImportProblem(feature: k, label: label, reason: "invalid polygon: \(reason)\(place)"))
            }
            if shape.planarArea <= 0 {
                return .failure(ImportProblem(feature: k, label: label, reason: "polygon has no area"))
            }
        } catch {
            return .failure(ImportProblem(feature: k, label: label, reason: "invalid polygon: \(error)"))
        }
        return .success(polys)
    }

    /// A property as text: strings as they are, integers written out (codes are often numbers in
    /// exported files).
    public static func text(_ v: JSONValue?) -> String? {
        switch v {
        case .string(let s)?: let t = s.trimmingCharacters(in: .whitespaces); return t.isEmpty ? nil : t
        case .integer(let i)?: return String(i)
        default: return nil
        }
    }
}
