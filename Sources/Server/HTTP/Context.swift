import Cases
import HTTPTypes
import Hummingbird
import Logging

/// The request context: who is calling (set by `AuthMiddleware`), and the body limit.
public struct WanggeContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: Identity?
    /// The peer's IP address (for rate limits); nil for a Unix socket.
    public let clientIP: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientIP = source.channel.remoteAddress?.ipAddress
    }

    /// Bodies over 1 MiB are refused with 413 before they are read whole.
    public var maxUploadSize: Int { 1 << 20 }

    /// The caller, who must hold one of `roles`.
    func require(_ roles: Role...) throws(Problem) -> Identity {
        guard let identity else { throw .unauthorized("this needs a bearer token (Authorization: Bearer …)") }
        guard roles.contains(identity.role) else {
            throw .forbidden("a \(identity.role.rawValue) token cannot do this; it needs \(roles.map(\.rawValue).joined(separator: " or "))")
        }
        return identity
    }
}
