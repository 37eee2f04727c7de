/// A response shape that documents itself: its JSON Schema (OpenAPI 3.0's dialect) is inferred
/// from examples of the real type, encoded as responses are, so the schema cannot drift from the
/// type. The examples should fill every optional once and leave it empty once.
public protocol DocumentedShape: Encodable {
    static var examples: [Self] { get }
}

extension DocumentedShape {
    public static var schema: JSONValue { JSONSchema.inferred(from: examples.map { (try? JSONValueEncoder().encode($0)) ?? .null }) }
}

public enum JSONSchema {
    /// The schema every example satisfies: for objects, the keys seen (required when present in
    /// every example), for arrays the schema of every element, `nullable` where a null was seen.
    public static func inferred(from examples: [JSONValue]) -> JSONValue {
        var shape = Shape()
        for e in examples { shape.merge(e) }
        return shape.schema
    }

    private struct Shape {
        var types: [String] = []
        var nullable = false
        var objects = 0
        var properties: [(key: String, shape: Shape, seen: Int)] = []
        var items: [Shape] = []   // zero or one: a recursive stored property needs indirection

        mutating func add(_ t: String) { if !types.contains(t) { types.append(t) } }

        mutating func merge(_ v: JSONValue) {
            switch v {
            case .null: nullable = true
            case .bool: add("boolean")
            case .integer: add("integer")
            case .number: add("number")
            case .string: add("string")
            case .array(let a):
                add("array")
                for x in a {
                    if items.isEmpty { items = [Shape()] }
                    items[0].merge(x)
                }
            case .object(let o):
                add("object")
                objects += 1
                for m in o.members {
                    if let k = properties.firstIndex(where: { $0.key == m.key }) {
                        properties[k].shape.merge(m.value)
                        properties[k].seen += 1
                    } else {
                        var s = Shape()
                        s.merge(m.value)
                        properties.append((m.key, s, 1))
                    }
                }
            }
        }

        var schema: JSONValue {
            var o = JSONObject()
            // An integer is a number: a field seen with both is a number.
            let ts = types.contains("number") ? types.filter { $0 != "integer" } : types
            if ts.count == 1 { o["type"] = .string(ts[0]) }
            if ts.contains("object") {
                o["properties"] = .object(JSONObject(properties.map { ($0.key, $0.shape.schema) }))
                let required = properties.filter { $0.seen == objects }.map { JSONValue.string($0.key) }
                if !required.isEmpty { o["required"] = .array(required) }
            }
            if ts.contains("array") { o["items"] = items.first?.schema ?? .object(JSONObject()) }
            if nullable { o["nullable"] = true }
            return .object(o)
        }
    }
}
