import NIOCore
import Synchronization

/// Open connections per client address, shared by every connection's `ConnectionLimit`.
final class ConnectionCounts: Sendable {
    let limit: Int
    private let counts = Mutex<[String: Int]>([:])
    init(limit: Int) { self.limit = limit }

    /// Counts a new connection; false (and not counted) when the client already has `limit`.
    func open(_ client: String) -> Bool {
        counts.withLock { c in
            let n = c[client, default: 0]
            guard n < limit else { return false }
            c[client] = n + 1
            return true
        }
    }

    func close(_ client: String) {
        counts.withLock { c in
            let n = c[client, default: 0] - 1
            c[client] = n > 0 ? n : nil
        }
    }
}

/// Closes a connection at once when its client (by IP address) already holds as many as allowed:
/// one address cannot take every connection the server has (with the head and idle timeouts, the
/// rest of the slowloris defence).
final class ConnectionLimit: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    private let counts: ConnectionCounts
    /// The address counted for this connection (nil: not counted, or refused).
    private var counted: String?

    init(_ counts: ConnectionCounts) { self.counts = counts }

    func handlerAdded(context: ChannelHandlerContext) {
        guard let ip = context.channel.remoteAddress?.ipAddress else { return }
        if counts.open(ip) { counted = ip } else { context.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if let ip = counted { counts.close(ip) }
        counted = nil
    }
}
