import OGPluginABI

/// How loud a log line is. `.info` also lands in the job's audit record.
public enum LogLevel: Int32, Sendable {
    case error = 1
    case warning = 2
    case info = 3
    case debug = 4
}

/// A command that ran on the endpoint, whatever its exit status.
public struct CommandResult: Sendable, Hashable {
    /// -1 when a signal killed it.
    public var exitStatus: Int32
    public var standardOutput: [UInt8]
    public var standardError: [UInt8]

    public init(exitStatus: Int32, standardOutput: [UInt8] = [], standardError: [UInt8] = []) {
        self.exitStatus = exitStatus
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    public var succeeded: Bool { exitStatus == 0 }
    public var standardOutputText: String { String(decoding: standardOutput, as: UTF8.self) }
    public var standardErrorText: String { String(decoding: standardError, as: UTF8.self) }
}

/// What a path on the endpoint is (`OG_FILE_TYPE_*`).
public enum FileType: UInt32, Sendable {
    case missing = 0
    case regular = 1
    case directory = 2
    case symlink = 3
    case other = 4
}

/// A path on the endpoint as `stat` described it; a final symlink is not followed.
public struct FileInfo: Sendable, Hashable {
    public var type: FileType
    /// Permission bits.
    public var mode: UInt32
    public var size: UInt64
    /// Seconds since the Unix epoch.
    public var modified: Int64
    public var uid: UInt32
    public var gid: UInt32

    public init(type: FileType, mode: UInt32 = 0, size: UInt64 = 0, modified: Int64 = 0, uid: UInt32 = 0, gid: UInt32 = 0) {
        self.type = type
        self.mode = mode
        self.size = size
        self.modified = modified
        self.uid = uid
        self.gid = gid
    }

    public var exists: Bool { type != .missing }
}

public struct HTTPHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A request to the endpoint's REST base URL; the host adds TLS settings and credentials.
public struct HTTPRequest: Sendable, Hashable {
    public var method: String
    /// Path and query, appended to the endpoint's base URL.
    public var path: String
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    /// Nil = the host's default.
    public var timeout: Duration?
    /// `.template`: the host fills `{{og:NAME}}` references in `body` with secrets (ABI 1.1).
    public var bodyKind: HTTPBodyKind

    public init(method: String = "GET", path: String, headers: [HTTPHeader] = [], body: [UInt8] = [],
                timeout: Duration? = nil, bodyKind: HTTPBodyKind = .literal) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.bodyKind = bodyKind
    }
}

/// How the host turns a request body into what it sends (og_http_request.body_kind, since ABI 1.1).
public enum HTTPBodyKind: UInt32, Sendable, Hashable {
    /// The body as given.
    case literal = 0
    /// UTF-8 text whose `{{og:user}}`, `{{og:password}}` and `{{og:pkcs12_passphrase}}` references the host
    /// replaces with the secret, escaped for a JSON string. The secrets never reach the plugin, and the host
    /// blanks any of them that come back in the response body.
    case template = 1
}

/// Content the host renders from the install in progress for `HostServices.upload` (ABI 1.1).
public enum UploadContent: UInt32, Sendable, Hashable {
    case certificatePEM = 1
    case chainPEM = 2
    case fullchainPEM = 3
    case privateKeyPEM = 4
    /// Key, leaf and intermediates under a one-time passphrase; refer to it as `{{og:pkcs12_passphrase}}`.
    case pkcs12 = 7
}

/// A response that arrived, whatever its status.
public struct HTTPResponse: Sendable, Hashable {
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header with this name, compared case-insensitively as HTTP does.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// One entry of a keystore as the host read it.
public struct KeystoreEntryInfo: Sendable, Hashable {
    public var alias: String
    /// False for trusted-certificate entries.
    public var hasPrivateKey: Bool
    /// Certificates in the entry's chain (1 for trusted certificates).
    public var chainLength: Int
    /// The entry's leaf; nil if it has none.
    public var certificate: CertificateInfo?
    /// The same leaf as DER (for `Node.certificate`); empty if it has none.
    public var certificateDER: [UInt8]

    public init(alias: String, hasPrivateKey: Bool, chainLength: Int, certificate: CertificateInfo?,
                certificateDER: [UInt8] = []) {
        self.alias = alias
        self.hasPrivateKey = hasPrivateKey
        self.chainLength = chainLength
        self.certificateDER = certificateDER
        self.certificate = certificate
    }
}
