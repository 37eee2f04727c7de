import CGEOS
import Foundation

public struct GEOSError: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// One GEOS context (`GEOSContextHandle_t`) and the geometries made in it.
///
/// Thread rule: a context and everything made from it are used by one thread or one actor at a time,
/// as GEOS's reentrant API requires. The type is deliberately not `Sendable`; make a context per task.
public final class GEOSContext {
    let handle: GEOSContextHandle_t
    private let messages: MessageBox

    final class MessageBox { var last = "" }

    public init() {
        handle = GEOS_init_r()
        messages = MessageBox()
        // GEOS reports errors through a C callback; the userdata points at this context's box.
        GEOSContext_setErrorMessageHandler_r(handle, { message, userdata in
            guard let message, let userdata else { return }
            Unmanaged<MessageBox>.fromOpaque(userdata).takeUnretainedValue().last = String(cString: message)
        }, Unmanaged.passUnretained(messages).toOpaque())
    }

    deinit { GEOS_finish_r(handle) }

    /// The pending GEOS error for a call that returned NULL or an error code.
    func error(_ what: String) -> GEOSError {
        let m = messages.last
        messages.last = ""
        return GEOSError(reason: m.isEmpty ? "GEOS \(what) failed" : "GEOS \(what): \(m)")
    }

    func wrap(_ ptr: OpaquePointer?, _ what: String) throws(GEOSError) -> Shape {
        guard let ptr else { throw error(what) }
        return Shape(ptr, self)
    }

    // MARK: Swift values into GEOS

    public func shape(_ g: Geometry) throws(GEOSError) -> Shape {
        switch g {
        case .point(let p):
            return try wrap(GEOSGeom_createPoint_r(handle, try sequence([p])), "createPoint")
        case .multiPoint(let ps):
            return try collection(GEOS_MULTIPOINT, try ps.map { (p) throws(GEOSError) in try shape(.point(p)) })
        case .lineString(let ps):
            return try wrap(GEOSGeom_createLineString_r(handle, try sequence(ps)), "createLineString")
        case .multiLineString(let ls):
            return try collection(GEOS_MULTILINESTRING, try ls.map { (l) throws(GEOSError) in try shape(.lineString(l)) })
        case .polygon(let p):
            return try polygon(p)
        case .multiPolygon(let ps):
            return try collection(GEOS_MULTIPOLYGON, try ps.map { (p) throws(GEOSError) in try polygon(p) })
        case .geometryCollection(let gs):
            return try collection(GEOS_GEOMETRYCOLLECTION, try gs.map { (g) throws(GEOSError) in try shape(g) })
        }
    }

    /// Polygons formed by a set of noded lines (GEOS polygonize).
    public func polygonize(_ lines: [Shape]) throws(GEOSError) -> Shape {
        var raw: [OpaquePointer?] = lines.map { $0.raw }
        return try wrap(GEOSPolygonize_r(handle, &raw, UInt32(raw.count)), "polygonize")
    }

    public func rectangle(_ b: BoundingBox) throws(GEOSError) -> Shape {
        try wrap(GEOSGeom_createRectangle_r(handle, b.minLon, b.minLat, b.maxLon, b.maxLat), "createRectangle")
    }

    private func sequence(_ ps: [Position]) throws(GEOSError) -> OpaquePointer {
        var buf = [Double](repeating: 0, count: ps.count * 2)
        for (k, p) in ps.enumerated() { buf[2 * k] = p.lon; buf[2 * k + 1] = p.lat }
        guard let seq = GEOSCoordSeq_copyFromBuffer_r(handle, buf, UInt32(ps.count), 0, 0) else {
            throw error("copyFromBuffer")
        }
        return seq
    }

    private func ring(_ ps: [Position]) throws(GEOSError) -> OpaquePointer {
        guard let r = GEOSGeom_createLinearRing_r(handle, try sequence(ps)) else { throw error("createLinearRing") }
        return r
    }

    private func polygon(_ p: Polygon) throws(GEOSError) -> Shape {
        let shell = try ring(p.exterior)
        var holes: [OpaquePointer?] = []
        for h in p.holes {
            do { holes.append(try ring(h)) } catch {
                GEOSGeom_destroy_r(handle, shell)
                for h in holes { GEOSGeom_destroy_r(handle, h) }
                throw error
            }
        }
        // createPolygon takes ownership of the shell and holes.
        return try wrap(GEOSGeom_createPolygon_r(handle, shell, &holes, UInt32(holes.count)), "createPolygon")
    }

    /// A collection takes ownership of its parts: release them from their Swift wrappers.
    private func collection(_ type: GEOSGeomTypes, _ parts: [Shape]) throws(GEOSError) -> Shape {
        var raw: [OpaquePointer?] = parts.map { $0.release() }
        return try wrap(GEOSGeom_createCollection_r(handle, Int32(type.rawValue), &raw, UInt32(raw.count)), "createCollection")
    }

    // MARK: GEOS back into Swift values

    func geometry(_ g: OpaquePointer) -> Geometry {
        let type = GEOSGeomTypeId_r(handle, g)
        switch Int(type) {
        case Int(GEOS_POINT.rawValue):
            if GEOSisEmpty_r(handle, g) == 1 { return .multiPoint([]) }
            return .point(positions(GEOSGeom_getCoordSeq_r(handle, g))[0])
        case Int(GEOS_LINESTRING.rawValue), Int(GEOS_LINEARRING.rawValue):
            return .lineString(positions(GEOSGeom_getCoordSeq_r(handle, g)))
        case Int(GEOS_POLYGON.rawValue):
            return .polygon(polygon(g))
        case Int(GEOS_MULTIPOINT.rawValue):
            return .multiPoint(parts(g).compactMap { if case .point(let p) = geometry($0) { p } else { nil } })
        case Int(GEOS_MULTILINESTRING.rawValue):
            return .multiLineString(parts(g).map { positions(GEOSGeom_getCoordSeq_r(handle, $0)) })
        case Int(GEOS_MULTIPOLYGON.rawValue):
            return .multiPolygon(parts(g).map { polygon($0) })
        default:
            return .geometryCollection(parts(g).map { geometry($0) })
        }
    }

    private func parts(_ g: OpaquePointer) -> [OpaquePointer] {
        (0..<GEOSGetNumGeometries_r(handle, g)).compactMap { GEOSGetGeometryN_r(handle, g, $0) }
    }

    private func polygon(_ g: OpaquePointer) -> Polygon {
        if GEOSisEmpty_r(handle, g) == 1 { return Polygon([]) }
        var rings = [positions(GEOSGeom_getCoordSeq_r(handle, GEOSGetExteriorRing_r(handle, g)))]
        for k in 0..<GEOSGetNumInteriorRings_r(handle, g) {
            rings.append(positions(GEOSGeom_getCoordSeq_r(handle, GEOSGetInteriorRingN_r(handle, g, k))))
        }
        return Polygon(rings)
    }

    private func positions(_ seq: OpaquePointer?) -> [Position] {
        guard let seq else { return [] }
        var n: UInt32 = 0
        GEOSCoordSeq_getSize_r(handle, seq, &n)
        var buf = [Double](repeating: 0, count: Int(n) * 2)
        GEOSCoordSeq_copyToBuffer_r(handle, seq, &buf, 0, 0)
        return (0..<Int(n)).map { Position(buf[2 * $0], buf[2 * $0 + 1]) }
    }
}
