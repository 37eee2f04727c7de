import Foundation
import Testing
@testable import Geo

/// The response encoder keeps declaration order, writes nil as null unless a property says
/// otherwise, and the schema inferred from examples says what every example has.
@Suite struct JSONValueEncoderTests {
    struct Inner: Encodable { var b: Bool; var n: Double? }
    struct Shape: DocumentedShape {
        var zeta: Int
        var alpha: String?
        @OmitIfNil var extra: [Inner]?
        var inner: Inner
        static var examples: [Shape] {
            [Shape(zeta: 1, alpha: "a", extra: [Inner(b: true, n: 1.5)], inner: Inner(b: false, n: 2)),
             Shape(zeta: 2, alpha: nil, extra: nil, inner: Inner(b: true, n: nil))]
        }
    }

    @Test func orderNullsAndOmissions() throws {
        var w = JSONWriter()
        w.value(try JSONValueEncoder().encode(Shape.examples[0]))
        #expect(w.text == #"{"zeta":1,"alpha":"a","extra":[{"b":true,"n":1.5}],"inner":{"b":false,"n":2.0}}"#
                || w.text == #"{"zeta":1,"alpha":"a","extra":[{"b":true,"n":1.5}],"inner":{"b":false,"n":2}}"#, "\(w.text)")
        let sparse = try JSONValueEncoder().encode(Shape.examples[1]).objectValue!
        #expect(sparse.keys == ["zeta", "alpha", "inner"])
        #expect(sparse["alpha"] == .null && sparse["inner"]?.objectValue?["n"] == .null)
    }

    @Test func schemaFromExamples() throws {
        let s = try #require(Shape.schema.objectValue)
        #expect(s["type"]?.stringValue == "object")
        #expect(s["required"] == .array(["zeta", "alpha", "inner"]))   // extra is left out when nil
        let p = try #require(s["properties"]?.objectValue)
        #expect(p["zeta"]?.objectValue?["type"]?.stringValue == "integer")
        #expect(p["alpha"]?.objectValue?["nullable"] == .bool(true))
        #expect(p["extra"]?.objectValue?["items"]?.objectValue?["properties"]?.objectValue?["n"]?.objectValue?["type"]?.stringValue == "number")
        let inner = try #require(p["inner"]?.objectValue?["properties"]?.objectValue)
        #expect(inner["n"]?.objectValue?["nullable"] == .bool(true) && inner["b"]?.objectValue?["nullable"] == nil)
    }
}
