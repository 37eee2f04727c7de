import CPROJ
import Foundation

public struct CRSError: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// A PROJ transformation between two CRSs, axis order lon/lat (easting/northing) on both sides.
///
/// Owns its own `PJ_CONTEXT`, so one instance must stay on one thread or inside one actor at a time
/// (PROJ contexts are not thread-safe); make one per task. Not `Sendable` for that reason.
public final class ProjTransform {
    private let context: OpaquePointer
    private let pj: OpaquePointer
    public let source: CRS
    public let target: CRS

    public init(from source: CRS, to target: CRS) throws(CRSError) {
        guard let s = source.projName, let t = target.projName else {
            throw CRSError("PROJ does not know \(source) or \(target); use CoordinateConverter for GCJ-02/BD-09")
        }
        guard let ctx = proj_context_create() else { throw CRSError("cannot create a PROJ context") }
        proj_log_level(ctx, PJ_LOG_NONE)
        guard let raw = proj_create_crs_to_crs(ctx, s, t, nil) else {
            let msg = String(cString: proj_context_errno_string(ctx, proj_context_errno(ctx)))
            proj_context_destroy(ctx)
            throw CRSError("PROJ cannot transform \(source) → \(target): \(msg)")
        }
        // Normalise to lon/lat order, whatever the authority's axis order (EPSG:4326 is lat/lon).
        let norm = proj_normalize_for_visualization(ctx, raw)
        proj_destroy(raw)
        guard let norm else {
            proj_context_destroy(ctx)
            throw CRSError("PROJ cannot normalise axis order for \(source) → \(target)")
        }
        self.context = ctx
        self.pj = norm
        self.source = source
        self.target = target
    }

    deinit {
        proj_destroy(pj)
        proj_context_destroy(context)
    }

    public func transform(_ p: Position) throws(CRSError) -> Position {
        var c = proj_coord(p.lon, p.lat, 0, .infinity)
        c = proj_trans(pj, PJ_FWD, c)
        let x = c.xy.x, y = c.xy.y
        guard x.isFinite, y.isFinite else {
            proj_errno_reset(pj)
            throw CRSError("\(p.lon), \(p.lat) cannot be transformed from \(source) to \(target)")
        }
        return Position(x, y, alt: p.alt)
    }

    /// Transforms arrays of x and y in place (PROJ's batch call; about 4.5 M points/s here).
    public func transform(xs: inout [Double], ys: inout [Double]) throws(CRSError) {
        precondition(xs.count == ys.count)
        let n = xs.count
        let stride = MemoryLayout<Double>.stride
        xs.withUnsafeMutableBufferPointer { xb in
            ys.withUnsafeMutableBufferPointer { yb in
                _ = proj_trans_generic(pj, PJ_FWD, xb.baseAddress, stride, n, yb.baseAddress, stride, n, nil, 0, 0, nil, 0, 0)
            }
        }
        if let k = xs.indices.first(where: { !xs[$0].isFinite || !ys[$0].isFinite }) {
            throw CRSError("coordinate \(k) cannot be transformed from \(source) to \(target)")
        }
    }
}

/// Converts positions between any two CRSs Wangge knows, going through WGS84 for GCJ-02 and BD-09.
/// Same threading rule as `ProjTransform`: one per thread or actor.
public final class CoordinateConverter {
    public let source: CRS
    public let target: CRS
    /// Set when PROJ knows both ends: one pipeline end to end.
    private let direct: ProjTransform?
    /// Otherwise the legs into and out of WGS84 that PROJ does (nil where the leg is the identity
    /// or a China offset).
    private let toWGS: ProjTransform?
    private let fromWGS: ProjTransform?

    public init(from source: CRS, to target: CRS) throws(CRSError) {
        self.source = source
        self.target = target
        let projOnly = source.projName != nil && target.projName != nil
        direct = projOnly && source != target ? try ProjTransform(from: source, to: target) : nil
        toWGS = !projOnly && source.projName != nil && !source.isWGS84LonLat
            ? try ProjTransform(from: source, to: .crs84) : nil
        fromWGS = !projOnly && target.projName != nil && !target.isWGS84LonLat
            ? try ProjTransform(from: .crs84, to: target) : nil
    }

    public func convert(_ p: Position) throws(CRSError) -> Position {
        if source == target { return p }
        if let direct { return try direct.transform(p) }
        do {
            let w: Position = switch source {
            case .gcj02: try ChinaOffset.gcj02ToWGS84(p)
            case .bd09: try ChinaOffset.bd09ToWGS84(p)
            default: try toWGS?.transform(p) ?? p
            }
            switch target {
            case .gcj02: return try ChinaOffset.wgs84ToGCJ02(w)
            case .bd09: return try ChinaOffset.wgs84ToBD09(w)
            default: return try fromWGS?.transform(w) ?? w
            }
        } catch let e as ChinaOffset.OutsideChina {
            throw CRSError(e.description)
        } catch let e as CRSError {
            throw e
        } catch {
            throw CRSError("\(error)")
        }
    }

    public func convert(_ g: Geometry) throws(CRSError) -> Geometry {
        do { return try g.mapPositions { p in try convert(p) } } catch let e as CRSError { throw e } catch { throw CRSError("\(error)") }
    }
}
