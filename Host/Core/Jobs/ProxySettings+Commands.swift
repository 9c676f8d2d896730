import OGConnections
import OGCredentials

/// What `og-host proxy set` and `proxy get` do, given their options as typed.
public enum ProxyCommands {
    /// `proxy set`: no option clears the proxy; `--host/--port [--user [--password]]`
    /// sets one; `--pacurl` is refused (no PAC engine). `password` is read
    /// through `SecretInput` (`-`, `env:NAME` or the value). Returns the line to print.
    public static func set(host: String?, port: Int?, user: String?, password: String?, pacURL: String?,
                           bypassLoopback: Bool, gateway: Gateway) throws -> String {
        if pacURL != nil {
            if host != nil || port != nil {
                throw GatewayError.option("pacurl", "cannot be combined with field `host`/field `port`; give one or the other")
            }
            throw ProxySettings.pacUnsupported
        }
        guard let host else {
            for (name, given) in [("port", port != nil), ("user", user != nil), ("password", password != nil),
                                  ("bypass-loopback", bypassLoopback)] where given {
                throw GatewayError.option(name, "needs field `host` and field `port`; `proxy set` without options clears the proxy")
            }
            let previous = try ProxySettings.load(gateway)
            try ProxySettings.save(nil, password: nil, gateway: gateway)
            gateway.audit(action: "proxy.set", subject: "outbound-proxy", success: true,
                          detail: previous.map { "cleared (was \($0.host):\($0.port))" } ?? "cleared (none was set)")
            return "Outbound proxy cleared; og-host connects directly.\n"
        }
        guard let port else { throw GatewayError.option("port", "is required with field `host`") }
        if password != nil && user == nil {
            throw GatewayError.option("user", "is required when field `password` is given")
        }
        let secret: Secret?
        do {
            secret = try SecretInput.read(option: "field `password`", value: password)
        } catch {
            throw GatewayError("\(error)", category: .badInput)
        }
        let settings = ProxySettings(host: host, port: port, user: user, hasPassword: secret != nil, bypassLoopback: bypassLoopback)
        try ProxySettings.save(settings, password: secret, gateway: gateway)
        let listing = ProxyListing(settings)
        gateway.audit(action: "proxy.set", subject: "outbound-proxy", success: true, detail: listing.summary)
        return "Outbound proxy set: \(listing.summary)\n"
    }

    /// `proxy get`: the settings with the password masked.
    public static func get(gateway: Gateway) throws -> ProxyListing {
        ProxyListing(try ProxySettings.load(gateway))
    }
}

/// The proxy settings as `proxy get` shows them; the password only as a mask.
public struct ProxyListing: Encodable, Sendable {
    public var configured: Bool
    public var host: String?
    public var port: Int?
    public var user: String?
    public var password: String?
    public var bypassLoopback: Bool

    init(_ settings: ProxySettings?) {
        configured = settings != nil
        host = settings?.host
        port = settings?.port
        user = settings?.user
        password = settings?.hasPassword == true ? Secret.mask : nil
        bypassLoopback = settings?.bypassLoopback ?? false
    }

    /// `proxy.example:3128 as ops (password ••••••)`, or that there is none.
    public var summary: String {
        guard let host, let port else { return "none; og-host connects directly" }
        let proxy = HTTPProxy(host: host, port: port).description
        var text = proxy + (user.map { " as \($0)" + (password == nil ? "" : " (password \(Secret.mask))") } ?? "")
        if bypassLoopback { text += ", loopback destinations reached directly" }
        return text
    }
}
