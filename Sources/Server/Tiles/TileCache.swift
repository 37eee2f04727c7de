import Foundation
import Logging
import Synchronization

/// Made tiles, in memory and on disk under the cache directory (`tiles/` by default), as
/// `{layer}/{stamp}/{z}/{x}/{y}.mvt`. The stamp names what the tile was made from (the map
/// catalog's generation, or the cases' change count), so a publish or a case change makes new keys
/// and the old stamp's files are removed in the background. The directory is emptied once the
/// server listens: stamps count from one in each run.
final class TileCache: Sendable {
    let directory: URL?
    private let memory = Mutex<[String: CachedBody]>([:])
    /// Tiles held in memory before it is emptied (cached tiles are small: a few KiB each).
    static let capacity = 50_000
    private let disk = DispatchQueue(label: "wangge.tiles.disk")
    /// The stamp last written per layer, to prune the older ones once.
    private let current = Mutex<[String: String]>([:])
    private let logger: Logger

    private let layers: [String]

    init(directory: String?, layers: [String], logger: Logger) {
        self.logger = logger
        self.layers = layers
        self.directory = directory.map { URL(fileURLWithPath: $0, isDirectory: true) }
    }

    /// Empties the directory of an earlier run's tiles: once the server has its port, so that a
    /// second server started on a busy port by mistake does not empty the running one's cache.
    func clearDisk() {
        guard let directory else { return }
        for layer in layers { try? FileManager.default.removeItem(at: directory.appendingPathComponent(layer)) }
    }

    static func key(_ layer: String, _ stamp: String, _ z: Int, _ x: Int, _ y: Int) -> String { "\(layer)/\(stamp)/\(z)/\(x)/\(y)" }

    func get(_ key: String) -> CachedBody? {
        if let b = memory.withLock({ $0[key] }) { return b }
        guard let directory, let data = FileManager.default.contents(atPath: directory.appendingPathComponent(key + ".mvt").path) else { return nil }
        let body = CachedBody([UInt8](data), contentType: TilesController.mediaType)
        put(memoryOnly: key, body)
        return body
    }

    func put(_ key: String, _ body: CachedBody, layer: String, stamp: String) {
        put(memoryOnly: key, body)
        guard let directory else { return }
        let bytes = Data(body.bytes.readableBytesView)
        let previous = current.withLock { c -> String? in
            defer { c[layer] = stamp }
            return c[layer] == stamp ? nil : c[layer]
        }
        let logger = self.logger
        disk.async {
            let file = directory.appendingPathComponent(key + ".mvt")
            do {
                try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                try bytes.write(to: file, options: .atomic)
            } catch {
                logger.warning("tile cache: cannot write \(file.path): \(error)")
            }
            if previous != nil { Self.prune(directory.appendingPathComponent(layer), keep: stamp) }
        }
    }

    /// In memory only: tiles made for one area's tokens (a key of its own per area), not worth the
    /// disk.
    func put(memoryOnly key: String, _ body: CachedBody) {
        memory.withLock { m in
            if m.count >= Self.capacity { m.removeAll(keepingCapacity: true) }
            m[key] = body
        }
    }

    /// Removes every stamp of a layer but `keep`.
    private static func prune(_ layerDir: URL, keep: String) {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: layerDir.path)) ?? [] where name != keep {
            try? fm.removeItem(at: layerDir.appendingPathComponent(name))
        }
    }
}
