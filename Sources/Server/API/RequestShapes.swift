import Cases
import Geo

/// What a request body may hold, written once: `Fields` takes no other member, and the OpenAPI
/// document describes the body from the same list (types, bounds from `Limits`, required
/// members). The handlers still check what a schema cannot say (one of location, household_id or
/// camera_id; an operation's own members).
struct RequestShape: Sendable {
    struct Field: Sendable {
        let name: String
        let schema: JSONValue
        let required: Bool
    }
    let fields: [Field]
    /// Members of which at least one must be there (intake: location, household_id or camera_id).
    var oneOf: [String] = []

    var names: [String] { fields.map(\.name) }

    /// As JSON Schema (OpenAPI 3.0's subset): the members, their types and bounds, no others.
    var schema: JSONValue {
        var o = JSONObject([("type", "object"), ("properties", .object(JSONObject(fields.map { ($0.name, $0.schema) }))),
                            ("additionalProperties", .bool(false))])
        let required = fields.filter(\.required).map { JSONValue.string($0.name) }
        if !required.isEmpty { o["required"] = .array(required) }
        if !oneOf.isEmpty { o["anyOf"] = .array(oneOf.map { .object(JSONObject([("required", .array([.string($0)]))])) }) }
        return .object(o)
    }

    // MARK: the members' schemas

    static func text(min: Int = 1, max: Int, _ description: String = "") -> JSONValue {
        described(JSONObject([("type", "string"), ("minLength", .integer(Int64(min))), ("maxLength", .integer(Int64(max)))]), description)
    }
    static func oneOf(_ values: [String], _ description: String = "") -> JSONValue {
        described(JSONObject([("type", "string"), ("enum", .array(values.map { .string($0) }))]), description)
    }
    static func whole(_ range: ClosedRange<Int64>, _ description: String = "") -> JSONValue {
        described(JSONObject([("type", "integer"), ("minimum", .integer(range.lowerBound)), ("maximum", .integer(range.upperBound))]), description)
    }
    static func number(_ range: Range<Double>, _ description: String = "") -> JSONValue {
        described(JSONObject([("type", "number"), ("minimum", .number(range.lowerBound)), ("maximum", .number(range.upperBound)),
                              ("exclusiveMaximum", true)]), description)
    }
    static func number(_ range: ClosedRange<Double>, _ description: String = "") -> JSONValue {
        described(JSONObject([("type", "number"), ("minimum", .number(range.lowerBound)), ("maximum", .number(range.upperBound))]), description)
    }
    static let time = described(JSONObject([("type", "string"), ("format", "date-time")]), "RFC 3339, from 2000-01-01")
    /// A GeoJSON geometry of a type (coordinates in `crs`); a point's are a longitude and a
    /// latitude (in China: elsewhere is a 422).
    static func geometry(_ type: String, _ description: String) -> JSONValue {
        let coordinates: JSONValue = type == "Point"
            ? .object(JSONObject([("type", "array"), ("minItems", 2), ("maxItems", 2), ("items", .object(JSONObject([("type", "number")])))]))
            : .object(JSONObject([("type", "array")]))
        return described(JSONObject([("type", "object"), ("required", .array(["type", "coordinates"])), ("properties", .object(JSONObject([
            ("type", .object(JSONObject([("type", "string"), ("enum", .array([.string(type)]))]))),
            ("coordinates", coordinates),
        ])))]), description)
    }
    static let crs = oneOf(["EPSG:4326", "GCJ-02"], "of the coordinates: WGS84 lon/lat (default) or GCJ-02 (Amap, Tencent)")

    private static func described(_ o: JSONObject, _ description: String) -> JSONValue {
        var o = o
        if !description.isEmpty { o["description"] = .string(description) }
        return .object(o)
    }

    // MARK: the bodies

    static let party = RequestShape(fields: [
        Field(name: "name", schema: text(max: Limits.name), required: true),
        Field(name: "phone", schema: text(max: Limits.number, "kept encrypted"), required: false),
        Field(name: "id_number", schema: text(max: Limits.number, "kept encrypted"), required: false),
    ])

    static let intake = RequestShape(fields: [
        Field(name: "category", schema: oneOf(Case.Category.allCases.map(\.rawValue)), required: true),
        Field(name: "description", schema: text(max: Limits.description, "what happened; never shown to viewers or the public"), required: true),
        Field(name: "channel", schema: oneOf(Case.Channel.allCases.map(\.rawValue), "default window"), required: false),
        Field(name: "priority", schema: oneOf(Case.Priority.allCases.map(\.rawValue), "default normal"), required: false),
        Field(name: "location", schema: geometry("Point", "where; or household_id, or camera_id"), required: false),
        Field(name: "crs", schema: crs, required: false),
        Field(name: "household_id", schema: whole(1...Int64.max, "the household's address point"), required: false),
        Field(name: "camera_id", schema: text(max: 64, "the camera's place"), required: false),
        Field(name: "parties", schema: .object(JSONObject([("type", "array"), ("maxItems", .integer(Int64(Limits.parties))), ("items", party.schema)])),
              required: false),
    ], oneOf: ["location", "household_id", "camera_id"])

    static let transition = RequestShape(fields: [
        Field(name: "to", schema: oneOf(Case.Status.allCases.map(\.rawValue)), required: true),
        Field(name: "note", schema: text(min: 0, max: Limits.note), required: false),
        Field(name: "target", schema: text(max: 64, "escalation: village, town, county, arbitration or court; or worker:ID"), required: false),
        Field(name: "rating", schema: whole(1...5, "with the step to rated"), required: false),
    ])

    static let hand = RequestShape(fields: [
        Field(name: "unit", schema: text(max: 80, "a committee's or department's code (GET /api/units), e.g. committee:511725:labour"), required: true),
        Field(name: "role", schema: oneOf(HandRequest.Part.allCases.map(\.rawValue), "lead: the unit has the case from now on; assist: called in beside it (default lead)"),
              required: false),
        Field(name: "note", schema: text(min: 0, max: Limits.note), required: false),
    ])

    static let alert = RequestShape(fields: [
        Field(name: "camera_id", schema: text(max: 64), required: true),
        Field(name: "type", schema: oneOf(AlertRequest.types), required: true),
        Field(name: "at", schema: time, required: false),
        Field(name: "snapshot_url", schema: text(max: 2048), required: false),
        Field(name: "bearing", schema: number(0..<360, "a PTZ camera's direction, degrees from north"), required: false),
    ])

    static let newPlan = RequestShape(fields: [
        Field(name: "name", schema: text(max: 200, "default plan"), required: false),
        Field(name: "from_version", schema: whole(1...Int64(Int32.max), "the layer version it starts from (default the live one)"), required: false),
    ])

    static let operation = RequestShape(fields: [
        Field(name: "op", schema: oneOf(["split", "merge", "reshape", "override", "partition", "move_vertex", "insert_vertex", "remove_vertex", "restore"]), required: true),
        Field(name: "grid_id", schema: text(max: 15), required: false),
        Field(name: "into", schema: text(max: 15, "merge: the grid that stays"), required: false),
        Field(name: "line", schema: geometry("LineString", "split: the cutting line"), required: false),
        Field(name: "polygon", schema: geometry("Polygon", "reshape: the new outline"), required: false),
        Field(name: "households", schema: whole(0...1_000_000, "override: the figure to use"), required: false),
        Field(name: "parent", schema: text(max: 12, "partition: the village or town to cut into grids"), required: false),
        Field(name: "from", schema: geometry("Point", "move_vertex: the vertex (every grid holding it follows)"), required: false),
        Field(name: "to", schema: geometry("Point", "move_vertex: where it goes"), required: false),
        Field(name: "edge", schema: geometry("LineString", "insert_vertex: the edge, its two vertices"), required: false),
        Field(name: "at", schema: geometry("Point", "insert_vertex: the new vertex (put on the edge); remove_vertex: the vertex"), required: false),
        Field(name: "grids", schema: .object(JSONObject([("type", "array"), ("maxItems", 10_000), ("items", .object(JSONObject([("type", "object")]))),
                                                         ("description", "restore: grid features to put back as they are (an answer's undo or redo)")])), required: false),
        Field(name: "remove", schema: .object(JSONObject([("type", "array"), ("items", .object(JSONObject([("type", "string"), ("maxLength", 15)]))),
                                                          ("description", "restore: grid codes to take out")])), required: false),
        Field(name: "crs", schema: crs, required: false),
    ])

    static let position = RequestShape(fields: [
        Field(name: "lon", schema: number(72.004...137.8347, "longitude (in China)"), required: true),
        Field(name: "lat", schema: number(0.8293...55.8271, "latitude (in China)"), required: true),
        Field(name: "at", schema: time, required: false),
        Field(name: "accuracy_m", schema: number(0...10_000, "the fix's horizontal accuracy"), required: false),
        Field(name: "crs", schema: crs, required: false),
    ])

    /// A resident's report as JSON (the /report page sends the same fields as multipart/form-data,
    /// with `photo`).
    static let report = RequestShape(fields: [
        Field(name: "category", schema: oneOf(Case.Category.allCases.map(\.rawValue)), required: true),
        Field(name: "description", schema: text(max: Limits.note, "what happened; never shown to viewers or the public"), required: true),
        Field(name: "lon", schema: number(72.004...137.8347, "the phone's or the map's place (in the county)"), required: false),
        Field(name: "lat", schema: number(0.8293...55.8271), required: false),
        Field(name: "crs", schema: crs, required: false),
        Field(name: "unit", schema: text(min: 12, max: 15, "the village, community or grid of the QR code"), required: false),
        Field(name: "phone", schema: text(min: 0, max: 13, "a mobile number (optional; kept encrypted)"), required: false),
        Field(name: "website", schema: text(min: 0, max: 200, "leave empty (a field programs fill in)"), required: false),
    ], oneOf: ["lon", "unit"])

    static let rating = RequestShape(fields: [
        Field(name: "key", schema: text(max: 64, "the key of the rating link given with the report"), required: true),
        Field(name: "rating", schema: whole(1...5), required: true),
    ])

    static let publish = RequestShape(fields: [Field(name: "effective_at", schema: time, required: false)])
    static let rollback = RequestShape(fields: [Field(name: "version", schema: whole(1...Int64(Int32.max), "the version to bring back"), required: true)])
    static let signIn = RequestShape(fields: [Field(name: "token", schema: text(max: 256), required: true)])
}

extension Fields {
    /// The body's members checked against its shape.
    init(_ object: JSONObject, _ shape: RequestShape) throws(Problem) {
        try self.init(object, allowed: shape.names)
    }
}
