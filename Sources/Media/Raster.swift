import CVips
import Foundation
import Synchronization

/// libvips, started once per process, behind safe functions that take and give bytes.
public enum Raster {
    private static let started: Bool = wg_vips_start() == 0
    static var ready: Bool { started }

    /// An SVG drawn as PNG (librsvg through libvips; text in the system's fonts), `scale` times
    /// its own size.
    public static func png(fromSVG svg: String, scale: Double = 1) throws(MediaError) -> [UInt8] {
        guard started else { throw MediaError("libvips did not start") }
        let bytes = Array(svg.utf8)
        var out: UnsafeMutableRawPointer?
        var length = 0
        let status = bytes.withUnsafeBytes { wg_svg_to_png($0.baseAddress, $0.count, scale, &out, &length) }
        guard status == 0, let out else { throw lastError("the SVG could not be drawn") }
        defer { wg_free(out) }
        return Array(UnsafeRawBufferPointer(start: out, count: length))
    }

    /// libvips keeps its error text per thread: read and cleared where it was set.
    static func clearError() { wg_vips_error_clear() }

    static func lastError(_ what: String) -> MediaError {
        // libvips repeats a decoder's complaint once per attempt: the first line says it.
        let text = String(cString: wg_vips_error()).split(separator: "\n").first.map(String.init) ?? ""
        wg_vips_error_clear()
        return MediaError(text.isEmpty ? what : "\(what): \(text)")
    }
}
