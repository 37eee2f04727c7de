/// Encodes `Encodable` values into `JSONValue`, keeping each object's keys in the order the value
/// encodes them (its declaration order, for synthesized conformances), so that responses read the
/// same on every run — Foundation's `JSONEncoder` does not keep an order here.
///
/// One difference from Foundation: an optional that is nil is written as `null`, so a response
/// always has the same keys. A property that is left out when nil is marked `@OmitIfNil`.
public struct JSONValueEncoder {
    public init() {}

    public func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        let box = Box()
        try box.put(value, path: [])
        return box.json
    }
}

/// A property written only when it has a value (the key is absent otherwise).
@propertyWrapper
public struct OmitIfNil<Value: Encodable & Sendable>: Encodable, Sendable {
    public var wrappedValue: Value?
    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if let wrappedValue { try c.encode(wrappedValue) } else { try c.encodeNil() }
    }
}

extension KeyedEncodingContainer {
    public mutating func encode<T>(_ value: OmitIfNil<T>, forKey key: Key) throws {
        if let v = value.wrappedValue { try encode(v, forKey: key) }
    }
}

extension JSONValue: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .integer(let i): try c.encode(i)
        case .number(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o):
            var k = encoder.container(keyedBy: AnyKey.self)
            for m in o.members { try k.encode(m.value, forKey: AnyKey(m.key)) }
        }
    }
}

struct AnyKey: CodingKey {
    let stringValue: String
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { return nil }
}

/// The value being built: one node of the tree, filled by whichever container is asked for.
private final class Box {
    enum Content { case empty, value(JSONValue), object([(String, Box)]), array([Box]) }
    var content: Content = .empty

    var json: JSONValue {
        switch content {
        case .empty: .null
        case .value(let v): v
        case .object(let m): .object(JSONObject(m.map { ($0.0, $0.1.json) }))
        case .array(let a): .array(a.map(\.json))
        }
    }

    func put<T: Encodable>(_ value: T, path: [CodingKey]) throws {
        if let j = value as? JSONValue { content = .value(j); return }   // as written, objects in order
        try value.encode(to: NodeEncoder(box: self, codingPath: path))
    }

    func child(_ key: String) -> Box {
        let b = Box()
        if case .object(var m) = content { m.append((key, b)); content = .object(m) } else { content = .object([(key, b)]) }
        return b
    }

    func element() -> Box {
        let b = Box()
        if case .array(var a) = content { a.append(b); content = .array(a) } else { content = .array([b]) }
        return b
    }
}

private struct NodeEncoder: Encoder {
    let box: Box
    let codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = box.content {} else { box.content = .object([]) }
        return KeyedEncodingContainer(Keyed<Key>(box: box, codingPath: codingPath))
    }
    func unkeyedContainer() -> UnkeyedEncodingContainer {
        if case .array = box.content {} else { box.content = .array([]) }
        return Unkeyed(box: box, codingPath: codingPath)
    }
    func singleValueContainer() -> SingleValueEncodingContainer { Single(box: box, codingPath: codingPath) }
}

private struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: Box
    let codingPath: [CodingKey]
    private func set(_ v: JSONValue, _ key: Key) { box.child(key.stringValue).content = .value(v) }

    mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { set(.number(value), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { set(.number(Double(value)), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(.integer(Int64(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(.integer(value), key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try box.child(key.stringValue).put(value, path: codingPath + [key])
    }
    // nil is written as null (see `JSONValueEncoder`).
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { set(value.map { .string($0) } ?? .null, key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { set(value.map { .integer(Int64($0)) } ?? .null, key) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { set(value.map { .integer($0) } ?? .null, key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { set(value.map { .number($0) } ?? .null, key) }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { set(value.map { .bool($0) } ?? .null, key) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let b = box.child(key.stringValue)
        b.content = .object([])
        return KeyedEncodingContainer(Keyed<NestedKey>(box: b, codingPath: codingPath + [key]))
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
        let b = box.child(key.stringValue)
        b.content = .array([])
        return Unkeyed(box: b, codingPath: codingPath + [key])
    }
    mutating func superEncoder() -> Encoder { NodeEncoder(box: box.child("super"), codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> Encoder { NodeEncoder(box: box.child(key.stringValue), codingPath: codingPath + [key]) }
}

private struct Unkeyed: UnkeyedEncodingContainer {
    let box: Box
    let codingPath: [CodingKey]
    var count: Int { if case .array(let a) = box.content { a.count } else { 0 } }

    mutating func encodeNil() throws { box.element().content = .value(.null) }
    mutating func encode(_ value: String) throws { box.element().content = .value(.string(value)) }
    mutating func encode(_ value: Double) throws { box.element().content = .value(.number(value)) }
    mutating func encode(_ value: Int) throws { box.element().content = .value(.integer(Int64(value))) }
    mutating func encode(_ value: Int64) throws { box.element().content = .value(.integer(value)) }
    mutating func encode(_ value: Bool) throws { box.element().content = .value(.bool(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws { try box.element().put(value, path: codingPath) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let b = box.element()
        b.content = .object([])
        return KeyedEncodingContainer(Keyed<NestedKey>(box: b, codingPath: codingPath))
    }
    mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
        let b = box.element()
        b.content = .array([])
        return Unkeyed(box: b, codingPath: codingPath)
    }
    mutating func superEncoder() -> Encoder { NodeEncoder(box: box.element(), codingPath: codingPath) }
}

private struct Single: SingleValueEncodingContainer {
    let box: Box
    let codingPath: [CodingKey]
    mutating func encodeNil() throws { box.content = .value(.null) }
    mutating func encode(_ value: Bool) throws { box.content = .value(.bool(value)) }
    mutating func encode(_ value: String) throws { box.content = .value(.string(value)) }
    mutating func encode(_ value: Double) throws { box.content = .value(.number(value)) }
    mutating func encode(_ value: Float) throws { box.content = .value(.number(Double(value))) }
    mutating func encode(_ value: Int) throws { box.content = .value(.integer(Int64(value))) }
    mutating func encode(_ value: Int64) throws { box.content = .value(.integer(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws { try box.put(value, path: codingPath) }
}
