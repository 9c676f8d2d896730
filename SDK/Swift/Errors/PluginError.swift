/// The error a plugin throws from an operation: the kit passes `field` and
/// `message` to the host's `set_error` and returns `status` from the slot.
///
/// Write messages an operator can act on: what is wrong with which value and
/// how to fix it (`"/etc/haproxy/site.pem: parent directory does not exist;
/// create it or correct --path"`). Never put a secret in a message.
public struct PluginError: Error, Sendable, CustomStringConvertible {
    public let status: Status
    /// The option or input at fault (`"path"`), or nil when none is.
    public let field: String?
    public let message: String
    /// True for an error a host service returned: the host has already
    /// attached its own message to the call, so rethrowing the error
    /// unchanged must not report it a second time.
    let isReportedByHost: Bool

    public init(status: Status, field: String? = nil, message: String) {
        self.init(status: status, field: field, message: message, isReportedByHost: false)
    }

    init(status: Status, field: String?, message: String, isReportedByHost: Bool) {
        self.status = status
        self.field = field
        self.message = message
        self.isReportedByHost = isReportedByHost
    }

    public var description: String {
        let prefix = field.map { "\($0): " } ?? ""
        return "\(prefix)\(message) [\(status)]"
    }
}
