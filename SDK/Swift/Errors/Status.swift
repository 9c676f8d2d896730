import OGPluginABI

/// A failure status of the plugin ABI: one case per `OG_ERR_*` code of og_plugin.h.
public enum Status: Sendable, Hashable, CustomStringConvertible {
    case invalidArgument
    case notSupported
    case notFound
    case io
    case connect
    case auth
    case identity
    case commandFailed
    case timeout
    case parse
    case conflict
    case abiMismatch
    case noMemory
    case `internal`
    case configTest
    /// A plugin-specific failure. `0` is `OG_ERR_VENDOR_BASE`, `1` the next
    /// code, and so on; negative numbers are treated as `0`.
    case vendor(Int32)
    /// A code below the vendor range that this SDK does not know yet (a newer
    /// host returned it). Kept so it can be passed on unchanged.
    case unrecognized(Int32)

    /// The `og_status` value that crosses the ABI.
    public var code: Int32 {
        switch self {
        case .invalidArgument: return OG_ERR_INVALID_ARGUMENT
        case .notSupported: return OG_ERR_NOT_SUPPORTED
        case .notFound: return OG_ERR_NOT_FOUND
        case .io: return OG_ERR_IO
        case .connect: return OG_ERR_CONNECT
        case .auth: return OG_ERR_AUTH
        case .identity: return OG_ERR_IDENTITY
        case .commandFailed: return OG_ERR_COMMAND_FAILED
        case .timeout: return OG_ERR_TIMEOUT
        case .parse: return OG_ERR_PARSE
        case .conflict: return OG_ERR_CONFLICT
        case .abiMismatch: return OG_ERR_ABI_MISMATCH
        case .noMemory: return OG_ERR_NO_MEMORY
        case .internal: return OG_ERR_INTERNAL
        case .configTest: return OG_ERR_CONFIG_TEST
        case .vendor(let number):
            let highest = Int32.max - OG_ERR_VENDOR_BASE
            return OG_ERR_VENDOR_BASE + min(max(number, 0), highest)
        case .unrecognized(let code): return code
        }
    }

    /// The status for a code received from the host; nil for `OG_OK`.
    public init?(code: Int32) {
        guard code != OG_OK else { return nil }
        if code >= OG_ERR_VENDOR_BASE {
            self = .vendor(code - OG_ERR_VENDOR_BASE)
            return
        }
        let known: [Status] = [.invalidArgument, .notSupported, .notFound, .io, .connect, .auth, .identity,
                               .commandFailed, .timeout, .parse, .conflict, .abiMismatch, .noMemory,
                               .internal, .configTest]
        self = known.first { $0.code == code } ?? .unrecognized(code)
    }

    /// The code's name as the header spells it, without the `OG_ERR_` prefix.
    public var description: String {
        switch self {
        case .invalidArgument: return "INVALID_ARGUMENT"
        case .notSupported: return "NOT_SUPPORTED"
        case .notFound: return "NOT_FOUND"
        case .io: return "IO"
        case .connect: return "CONNECT"
        case .auth: return "AUTH"
        case .identity: return "IDENTITY"
        case .commandFailed: return "COMMAND_FAILED"
        case .timeout: return "TIMEOUT"
        case .parse: return "PARSE"
        case .conflict: return "CONFLICT"
        case .abiMismatch: return "ABI_MISMATCH"
        case .noMemory: return "NO_MEMORY"
        case .internal: return "INTERNAL"
        case .configTest: return "CONFIG_TEST"
        case .vendor(let number): return "VENDOR+\(max(number, 0))"
        case .unrecognized(let code): return "status \(code)"
        }
    }
}
