import CVips

/// A photo as a phone sends it (JPEG, PNG, HEIC) made safe to keep and show: decoded and encoded
/// again by libvips, so that nothing of the upload but its pixels survives — no EXIF (GPS, the
/// phone's model, the time), no trailing bytes, no second image.
public struct Photo: Sendable, Hashable {
    public let jpeg: [UInt8]
    public let width: Int
    public let height: Int

    /// What a resident may send.
    public static let maxBytes = 10 << 20
    /// Pixels decoded at most: a small file that claims a huge picture is refused before decoding.
    public static let maxPixels = 100_000_000
    /// The longest side kept: enough to read a notice or a crack, small to send to a worker's phone.
    public static let maxSide = 1600
    private static let loaders = ["jpegload": "JPEG", "pngload": "PNG", "heifload": "HEIC"]

    public init(_ upload: [UInt8]) throws(MediaError) {
        guard upload.count <= Self.maxBytes else { throw MediaError("the photo is \(upload.count / 1_048_576) MB; at most 10 MB") }
        guard Raster.ready else { throw MediaError("libvips did not start") }
        let accepted = "JPEG, PNG or HEIC"
        let loader = upload.withUnsafeBytes { b -> String? in wg_loader(b.baseAddress, b.count).map { String(cString: $0) } }
        Raster.clearError()
        // vips names loaders by class ("VipsForeignLoadJpegBuffer") or nickname ("jpegload_buffer").
        guard let loader, let kind = Self.loaders.first(where: { loader.lowercased().contains($0.key.replacingOccurrences(of: "load", with: "")) })?.value else {
            throw MediaError("the photo is not a \(accepted) image")
        }
        var w: Int32 = 0, h: Int32 = 0
        guard upload.withUnsafeBytes({ wg_image_size($0.baseAddress, $0.count, &w, &h) }) == 0 else {
            throw Raster.lastError("the \(kind) image cannot be read")
        }
        guard w > 0, h > 0, Int(w) * Int(h) <= Self.maxPixels else {
            throw MediaError("the photo is \(w) × \(h) pixels; at most \(Self.maxPixels / 1_000_000) million")
        }
        var out: UnsafeMutableRawPointer?, length = 0
        var ow: Int32 = 0, oh: Int32 = 0
        let status = upload.withUnsafeBytes { b in
            kind == "JPEG" ? wg_jpeg_photo(b.baseAddress, b.count, Int32(Self.maxSide), 82, &out, &length, &ow, &oh)
                : wg_photo_jpeg(b.baseAddress, b.count, Int32(Self.maxSide), 82, &out, &length, &ow, &oh)
        }
        guard status == 0, let out else { throw Raster.lastError("the \(kind) image cannot be decoded") }
        defer { wg_free(out) }
        jpeg = Array(UnsafeRawBufferPointer(start: out, count: length))
        width = Int(ow)
        height = Int(oh)
    }
}
