/// What the host offers a plugin during one call, in Swift terms. The host core
/// implements it over the endpoint's connection and the material engine; the
/// C bridge (HostServicesTable) translates plugin calls into these methods.
public protocol PluginHostServices: AnyObject {
    func log(_ level: PluginLogLevel, _ message: String)
    func run(_ argv: [String], standardInput: [UInt8], timeoutMilliseconds: UInt32, privileged: Bool) throws(ServiceFailure) -> CommandOutput
    func readFile(_ path: String) throws(ServiceFailure) -> [UInt8]
    func stat(_ path: String) throws(ServiceFailure) -> FileStatusInfo
    func listDirectory(_ path: String) throws(ServiceFailure) -> [String]
    func writeFile(_ path: String, contents: [UInt8], mode: UInt32) throws(ServiceFailure)
    func http(_ request: HTTPRequestInfo) throws(ServiceFailure) -> HTTPResponseInfo
    func readKeystore(format: KeystoreFormat, data: [UInt8], passwordOption: String) throws(ServiceFailure) -> [KeystoreEntrySummary]
    func readCertificates(_ data: [UInt8]) throws(ServiceFailure) -> [CertificateSummary]
    /// Sends content rendered from the install in progress in Content-Range pieces (upload_content, since 1.1).
    func upload(_ content: UploadContentKind, request: HTTPRequestInfo, chunkSize: Int) throws(ServiceFailure) -> HTTPResponseInfo
    /// Journals the undo token of the apply in progress before returning (journal_undo_token, since 1.1).
    func journalUndoToken(_ token: [UInt8]) throws(ServiceFailure)
}

extension PluginHostServices {
    /// Services with no install in progress (discovery, conformance runs) offer neither.
    public func upload(_ content: UploadContentKind, request: HTTPRequestInfo, chunkSize: Int) throws(ServiceFailure) -> HTTPResponseInfo {
        throw ServiceFailure(.notSupported, "upload_content is offered only while an install is being applied")
    }

    public func journalUndoToken(_ token: [UInt8]) throws(ServiceFailure) {
        throw ServiceFailure(.notSupported, "journal_undo_token is offered only while an install is being applied")
    }
}

/// What upload_content renders (the OG_CONTENT_* values it accepts).
public enum UploadContentKind: UInt32, Sendable {
    case certificatePEM = 1, chainPEM = 2, fullchainPEM = 3, privateKeyPEM = 4, pkcs12 = 7
}

/// og_http_request.body_kind (since 1.1).
public enum HTTPBodyKindInfo: UInt32, Sendable {
    /// The body as the plugin gave it.
    case literal = 0
    /// `{{og:NAME}}` references the host fills with secrets.
    case template = 1
}

public enum PluginLogLevel: Int32, Sendable {
    case error = 1, warning = 2, info = 3, debug = 4
}

/// A host service that did not do what was asked: the status code handed to
/// the plugin and the message the host attaches to the call.
public struct ServiceFailure: Error, CustomStringConvertible, Sendable {
    public var status: PluginStatus
    public var message: String
    public init(_ status: PluginStatus, _ message: String) {
        self.status = status
        self.message = message
    }
    public var description: String { message }
}

/// The og_status codes of the header, by name.
public enum PluginStatus: Equatable, Sendable, CustomStringConvertible {
    case ok, invalidArgument, notSupported, notFound, io, connect, auth, identity, commandFailed, timeout
    case parse, conflict, abiMismatch, noMemory, internalError, configTest
    case vendor(Int32)
    case unknown(Int32)

    public init(code: Int32) {
        switch code {
        case 0: self = .ok
        case 1: self = .invalidArgument
        case 2: self = .notSupported
        case 3: self = .notFound
        case 4: self = .io
        case 5: self = .connect
        case 6: self = .auth
        case 7: self = .identity
        case 8: self = .commandFailed
        case 9: self = .timeout
        case 10: self = .parse
        case 11: self = .conflict
        case 12: self = .abiMismatch
        case 13: self = .noMemory
        case 14: self = .internalError
        case 15: self = .configTest
        case 0x10000...: self = .vendor(code)
        default: self = .unknown(code)
        }
    }

    public var code: Int32 {
        switch self {
        case .ok: return 0
        case .invalidArgument: return 1
        case .notSupported: return 2
        case .notFound: return 3
        case .io: return 4
        case .connect: return 5
        case .auth: return 6
        case .identity: return 7
        case .commandFailed: return 8
        case .timeout: return 9
        case .parse: return 10
        case .conflict: return 11
        case .abiMismatch: return 12
        case .noMemory: return 13
        case .internalError: return 14
        case .configTest: return 15
        case .vendor(let code), .unknown(let code): return code
        }
    }

    public var description: String {
        switch self {
        case .ok: return "ok"
        case .invalidArgument: return "invalid argument"
        case .notSupported: return "not supported"
        case .notFound: return "not found"
        case .io: return "I/O error"
        case .connect: return "could not connect"
        case .auth: return "authentication failed"
        case .identity: return "endpoint identity rejected"
        case .commandFailed: return "command failed"
        case .timeout: return "timed out"
        case .parse: return "configuration not understood"
        case .conflict: return "conflict"
        case .abiMismatch: return "ABI mismatch"
        case .noMemory: return "out of memory"
        case .internalError: return "internal error"
        case .configTest: return "configuration test failed"
        case .vendor(let code): return "plugin error \(code)"
        case .unknown(let code): return "unknown status \(code)"
        }
    }
}

public struct CommandOutput: Sendable {
    public var exitStatus: Int32
    public var standardOutput: [UInt8]
    public var standardError: [UInt8]
    public init(exitStatus: Int32, standardOutput: [UInt8], standardError: [UInt8]) {
        self.exitStatus = exitStatus
        self.standardOutput = standardOutput
        self.standardError = standardError
    }
}

public struct FileStatusInfo: Sendable, Equatable {
    public enum Kind: UInt32, Sendable { case missing = 0, regular, directory, symlink, other }
    public var kind: Kind
    public var mode: UInt32
    public var size: UInt64
    public var modified: Int64
    public var uid: UInt32
    public var gid: UInt32
    public init(kind: Kind, mode: UInt32 = 0, size: UInt64 = 0, modified: Int64 = 0, uid: UInt32 = 0, gid: UInt32 = 0) {
        self.kind = kind
        self.mode = mode
        self.size = size
        self.modified = modified
        self.uid = uid
        self.gid = gid
    }
}

public struct HTTPRequestInfo: Sendable {
    public var method: String
    public var path: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    public var timeoutMilliseconds: UInt32
    public var bodyKind: HTTPBodyKindInfo = .literal
}

public struct HTTPResponseInfo: Sendable {
    public var status: Int32
    public var headers: [(String, String)]
    public var body: [UInt8]
    public init(status: Int32, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

public enum KeystoreFormat: UInt32, Sendable {
    case pkcs12 = 0, jks = 1
}

/// A certificate as plugins see it (og_certificate_info): no key material.
public struct CertificateSummary: Codable, Sendable, Equatable {
    public var subject: String
    public var commonName: String
    public var dnsNames: [String]
    public var ipAddresses: [String]
    public var serialHex: String
    public var sha256Fingerprint: String
    public var notBefore: Int64
    public var notAfter: Int64
    public var keyAlgorithm: String
    public var issuer: String

    public init(subject: String, commonName: String, dnsNames: [String], ipAddresses: [String], serialHex: String,
                sha256Fingerprint: String, notBefore: Int64, notAfter: Int64, keyAlgorithm: String, issuer: String) {
        self.subject = subject
        self.commonName = commonName
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
        self.serialHex = serialHex
        self.sha256Fingerprint = sha256Fingerprint
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.keyAlgorithm = keyAlgorithm
        self.issuer = issuer
    }
}

public struct KeystoreEntrySummary: Sendable, Equatable {
    public var alias: String
    public var hasPrivateKey: Bool
    public var chainLength: Int
    public var certificate: CertificateSummary?
    /// The entry's leaf as DER, empty when it has none.
    public var certificateDER: [UInt8]
    public init(alias: String, hasPrivateKey: Bool, chainLength: Int, certificate: CertificateSummary?,
                certificateDER: [UInt8] = []) {
        self.alias = alias
        self.hasPrivateKey = hasPrivateKey
        self.chainLength = chainLength
        self.certificate = certificate
        self.certificateDER = certificateDER
    }
}
