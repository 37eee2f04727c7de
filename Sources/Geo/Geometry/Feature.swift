/// A GeoJSON Feature: a geometry (may be absent), properties, and an optional id.
public struct Feature: Hashable, Sendable {
    public enum ID: Hashable, Sendable, CustomStringConvertible {
        case string(String)
        case number(Double)
        public var description: String {
            switch self {
            case .string(let s): s
            case .number(let d): d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : d.description
            }
        }
    }

    public var id: ID?
    public var geometry: Geometry?
    public var properties: JSONObject?

    public init(id: ID? = nil, geometry: Geometry?, properties: JSONObject? = JSONObject()) {
        self.id = id
        self.geometry = geometry
        self.properties = properties
    }

    public subscript(property key: String) -> JSONValue? { properties?[key] }
}

public struct FeatureCollection: Hashable, Sendable {
    public var features: [Feature]
    /// Foreign members other than `type`, `features` and `bbox` (e.g. `name`), kept for round trips.
    public var foreignMembers: JSONObject
    public init(_ features: [Feature], foreignMembers: JSONObject = JSONObject()) {
        self.features = features
        self.foreignMembers = foreignMembers
    }
}

/// What a GeoJSON text holds at its top level.
public enum GeoJSONDocument: Hashable, Sendable {
    case featureCollection(FeatureCollection)
    case feature(Feature)
    case geometry(Geometry)

    /// The document seen as a list of features (a lone geometry becomes one feature).
    public var features: [Feature] {
        switch self {
        case .featureCollection(let fc): fc.features
        case .feature(let f): [f]
        case .geometry(let g): [Feature(geometry: g)]
        }
    }
}
