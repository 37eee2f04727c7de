import Geo

/// Reads cameras from GeoJSON Point features: `camera_id`, `kind` (one of the nine networks), `name`,
/// and optionally the view (`azimuth`, `fov`, `range_m`: all three or none). All or nothing: every
/// problem is reported, naming the feature, and nothing is returned if there is one.
public struct CameraImporter {
    public let crs: CRS
    public init(crs: CRS = .crs84) { self.crs = crs }

    /// Cameras located in `layer`: the pole's grid and the grid each one looks at.
    public func cameras(from bytes: [UInt8], layer: GridLayer) throws(ImportError) -> [Camera] {
        let source = try FeatureSource(bytes: bytes, crs: crs)
        var cameras: [Camera] = [], problems: [ImportProblem] = []
        var seen: [String: Int] = [:]
        let kinds = Camera.Kind.allCases.map(\.rawValue).joined(separator: ", ")
        for (k, f) in source.features.enumerated() {
            let properties = f.properties ?? JSONObject([])
            let id = FeatureSource.text(properties["camera_id"])
            let label = id.map { "camera_id \($0)" }
            func problem(_ reason: String) { problems.append(ImportProblem(feature: k, label: label, reason: reason)) }
            guard let id else { problem("camera_id is required"); continue }
            if let first = seen[id] { problem("camera_id \(id) is also features[\(first)]"); continue }
            seen[id] = k
            guard case .point(let p)? = f.geometry else {
                problem("geometry is \(f.geometry?.typeName ?? "null"), a Point is required")
                continue
            }
            guard let kindText = FeatureSource.text(properties["kind"]), let kind = Camera.Kind(rawValue: kindText) else {
                problem("kind is required, one of \(kinds)")
                continue
            }
            let keys = ["azimuth", "fov", "range_m"]
            let given = keys.filter { properties[$0] != nil && properties[$0] != .null }
            var view: Camera.View?
            if !given.isEmpty {
                guard given.count == keys.count else {
                    problem("a view needs azimuth, fov and range_m together; missing: \(keys.filter { !given.contains($0) }.joined(separator: ", "))")
                    continue
                }
                let values = keys.compactMap { properties[$0]?.doubleValue }
                guard values.count == keys.count else {
                    problem("\(keys.first { properties[$0]?.doubleValue == nil }!) must be a number")
                    continue
                }
                do throws(Camera.ViewError) { view = try Camera.View(azimuth: values[0], fov: values[1], rangeM: values[2]) } catch {
                    problem(error.reason)
                    continue
                }
            }
            cameras.append(layer.located(Camera(id: id, kind: kind, name: FeatureSource.text(properties["name"]) ?? id, position: p, view: view)))
        }
        guard problems.isEmpty else { throw ImportError(problems) }
        return cameras
    }
}
