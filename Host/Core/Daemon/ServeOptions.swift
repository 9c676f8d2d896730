import Foundation

/// The daemon's command-line settings, validated at the edge.
public struct ServeOptions: Sendable, Equatable {
    /// Where metrics and health are served; nil = no listener.
    public var listenHost: String?
    public var listenPort: UInt16 = 0
    public var configPath: String?
    /// Endpoint jobs run at once (each in its own child og-host).
    public var workers: Int

    public static let defaultWorkers = 4

    /// `listen` is `127.0.0.1:PORT`, `[::1]:PORT` or `localhost:PORT`; anything not
    /// loopback is refused: the listener has no authentication.
    public init(listen: String?, configPath: String?, workers: Int?) throws {
        let workerCount = workers ?? Self.defaultWorkers
        guard (1...256).contains(workerCount) else {
            throw GatewayError.option("workers", "\(workerCount) is not between 1 and 256")
        }
        self.workers = workerCount
        if let configPath, configPath.isEmpty {
            throw GatewayError.option("config", "is empty; give the path of a JSON configuration file")
        }
        // Absolute, so SIGHUP re-reads the same file whatever the working directory becomes.
        self.configPath = configPath.map {
            $0.hasPrefix("/") ? $0 : (FileManager.default.currentDirectoryPath + "/" + $0 as NSString).standardizingPath
        }
        if let listen {
            (listenHost, listenPort) = try Self.parseListen(listen)
        }
    }

    static func parseListen(_ text: String) throws -> (String, UInt16) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw GatewayError.option("listen", "'\(text)' is not ADDRESS:PORT; give e.g. 127.0.0.1:9464 or [::1]:9464")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw GatewayError.option("listen", "'\(text)' is not ADDRESS:PORT; give e.g. 127.0.0.1:9464")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = UInt16(portText), port > 0 else {
            throw GatewayError.option("listen", "'\(portText)' is not a port between 1 and 65535")
        }
        let address: String
        switch host {
        case "localhost": address = "127.0.0.1"
        case "::1": address = "::1"
        default:
            var v4 = in_addr()
            guard inet_pton(AF_INET, String(host), &v4) == 1 else {
                throw GatewayError.option("listen", "'\(host)' is not a loopback address; give 127.0.0.1, ::1 or localhost")
            }
            // 127.0.0.0/8, in network order.
            guard UInt32(bigEndian: v4.s_addr) >> 24 == 127 else {
                throw GatewayError.option("listen", "'\(host)' is not a loopback address: metrics and health are served "
                                          + "without authentication, so only 127.0.0.0/8 or ::1 may listen")
            }
            address = String(host)
        }
        return (address, port)
    }
}
