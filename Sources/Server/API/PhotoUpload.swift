import Cases
import Media

extension CasePhoto {
    /// A caller's photo as it is kept: re-encoded by `Photo` (no metadata). What is not a photo is
    /// the caller's mistake (422); one over the size, 413.
    init(upload bytes: [UInt8]) throws(Problem) {
        do {
            let p = try Photo(bytes)
            self.init(contentType: "image/jpeg", width: p.width, height: p.height, bytes: p.jpeg)
        } catch {
            throw bytes.count > Photo.maxBytes ? Problem(.contentTooLarge, "photo-too-large", error.description) : Fields.invalid(error.description)
        }
    }
}
