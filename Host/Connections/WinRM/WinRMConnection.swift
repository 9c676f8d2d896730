import Foundation
import OGBasics

/// A connection to a Windows endpoint over WinRM (WS-Management remote shell).
///
/// Commands run as PowerShell (`powershell.exe -EncodedCommand`), file
/// operations as the PowerShell scripts of `WinRMFileScripts`. Windows has no
/// POSIX modes or owners: `stat` reports mode 0 and owner 0, and the `mode` of
/// a new file or directory is ignored (it inherits the directory's ACL).
/// `privileged` adds nothing: a WinRM session runs with the account's full
/// (elevated) token, so connect as an administrator when one is needed.
public final class WinRMConnection: Connection, @unchecked Sendable {
    // Safe to share: every operation holds `lock` while it uses `shell`,
    // `transport` and `closed`, which nothing else touches.
    private let lock = Locked()
    private let shell: WinRMShell
    private let transport: WinRMTransport
    private let operationTimeout: Duration
    private var closed = false

    public let platform = Platform.windows
    /// True for `winrm_https_insecure`: the server's certificate was not
    /// checked, so the endpoint's identity is unproven (audit says so).
    public let isInsecure: Bool
    /// True when messages are sealed with NTLM session security (`winrm_http`).
    public let sealsMessages: Bool
    /// `http(s)://host:port/wsman`.
    public let endpointURL: String

    /// Opens a WinRM connection for a `winrm_http`, `winrm_https` or
    /// `winrm_https_insecure` spec. `trustedCertificates` (PEM CA
    /// certificates, e.g. og-host's trust anchors) are trusted for HTTPS in
    /// addition to the system's. Authenticates before returning.
    public init(spec: ConnectionSpec, authentication: WinRMAuthentication = .ntlm,
                trustedCertificates: [UInt8] = []) throws {
        try spec.validate()
        let https: Bool
        switch spec.type {
        case .winrmHTTP: https = false
        case .winrmHTTPS, .winrmHTTPSInsecure: https = true
        default:
            throw ConnectionError.invalidArgument(field: "field `connection`", problem: "\(spec.type.rawValue) is not a WinRM connection type")
        }
        guard case .password(let password) = spec.authentication else {
            throw ConnectionError.invalidArgument(field: "field `password`",
                                                  problem: "connection type \(spec.type.rawValue) needs the Windows account's password")
        }
        if spec.user.isEmpty {
            throw ConnectionError.invalidArgument(field: "field `user`", problem: "is required for connection type \(spec.type.rawValue)")
        }
        if authentication == .basic && !https {
            throw ConnectionError.invalidArgument(
                field: "field `auth`",
                problem: "basic authentication would send the password in clear text over winrm_http; "
                    + "use NTLM (which seals every message) or connection type winrm_https")
        }
        let port = spec.effectivePort ?? (https ? 5986 : 5985)
        let hostPart = spec.host.contains(":") ? "[\(spec.host)]" : spec.host
        endpointURL = "\(https ? "https" : "http")://\(hostPart):\(port)/wsman"
        isInsecure = spec.type == .winrmHTTPSInsecure
        sealsMessages = !https && authentication == .ntlm
        operationTimeout = spec.operationTimeout
        let channel = try WinRMHTTPChannel(url: endpointURL, verifyPeer: spec.type == .winrmHTTPS,
                                           trustedCertificates: trustedCertificates, connectTimeout: spec.connectTimeout)
        transport = WinRMTransport(channel: channel, authentication: authentication, user: spec.user, password: password,
                                   host: spec.host, port: port, sealMessages: sealsMessages)
        shell = WinRMShell(transport: transport, url: endpointURL, host: spec.host, port: port)
        // Opening the shell now reports bad credentials or a bad certificate at connect time, as SSH does.
        try shell.open(timeout: spec.connectTimeout + .seconds(30))
    }

    public func run(_ argv: [String], standardInput: [UInt8], timeout: Duration, privileged: Bool) throws -> CommandResult {
        guard let program = argv.first, !program.isEmpty else {
            throw ConnectionError.invalidArgument(field: "argv", problem: "is empty; give the program to run")
        }
        let script = PowerShellCommand.script(argv, hasStandardInput: !standardInput.isEmpty)
        return try powerShell(script, standardInput: standardInput, timeout: timeout, description: program)
    }

    public func readFile(_ path: String) throws -> [UInt8] {
        let result = try fileOperation(WinRMFileScripts.read(path), path: path, description: "reading \(path)")
        guard let data = Data(base64Encoded: result.standardOutputText.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ConnectionError.io(path: path, reason: "the endpoint sent file contents that are not base64")
        }
        return [UInt8](data)
    }

    public func writeFileAtomically(_ path: String, contents: [UInt8], mode: UInt32?) throws {
        let (directory, name) = Self.split(path)
        guard !name.isEmpty else { throw ConnectionError.invalidArgument(field: "path", problem: "\(path) names no file") }
        let temporary = directory + ".\(name).og-tmp-\(UUID().uuidString.prefix(8))"
        do {
            var offset = 0
            repeat {
                let end = min(contents.count, offset + Self.writeChunkSize)
                _ = try fileOperation(WinRMFileScripts.append(temporary, create: offset == 0), path: path,
                                      standardInput: Array(Data(contents[offset..<end]).base64EncodedString().utf8),
                                      description: "writing \(path)")
                offset = end
            } while offset < contents.count
            _ = try fileOperation(WinRMFileScripts.commit(temporary, to: path), path: path, description: "replacing \(path)")
        } catch {
            _ = try? fileOperation(WinRMFileScripts.remove(temporary), path: temporary, description: "removing \(temporary)")
            throw error
        }
    }

    public func stat(_ path: String) throws -> FileStatus {
        let result = try fileOperation(WinRMFileScripts.stat(path), path: path, description: "examining \(path)")
        let fields = result.standardOutputText.split(whereSeparator: \.isWhitespace)
        guard let kind = fields.first else { throw ConnectionError.io(path: path, reason: "the endpoint described it with nothing") }
        if kind == "missing" { return .missing }
        guard fields.count == 3, let size = UInt64(fields[1]), let modified = Int64(fields[2]) else {
            throw ConnectionError.io(path: path, reason: "the endpoint described it as \"\(result.standardOutputText)\"")
        }
        let type: FileStatus.FileType = kind == "file" ? .regular : kind == "directory" ? .directory : kind == "symlink" ? .symlink : .other
        return FileStatus(type: type, mode: 0, size: size, modified: modified, uid: 0, gid: 0)
    }

    public func listDirectory(_ path: String) throws -> [String] {
        let result = try fileOperation(WinRMFileScripts.list(path), path: path, description: "listing \(path)")
        return result.standardOutputText.split(whereSeparator: \.isNewline).compactMap {
            Data(base64Encoded: String($0).trimmingCharacters(in: .whitespaces)).map { String(decoding: $0, as: UTF8.self) }
        }.sorted()
    }

    public func makeDirectory(_ path: String, mode: UInt32) throws {
        _ = try fileOperation(WinRMFileScripts.makeDirectory(path), path: path, description: "creating \(path)")
    }

    public func remove(_ path: String) throws {
        _ = try fileOperation(WinRMFileScripts.remove(path), path: path, description: "removing \(path)")
    }

    public func close() {
        lock.withLock {
            guard !closed else { return }
            closed = true
            shell.close()
        }
    }

    /// Whether the most recent request went out sealed with NTLM session security.
    public var lastRequestWasSealed: Bool {
        lock.withLock { transport.lastRequestWasSealed }
    }

    /// Raw bytes per chunk of a file write: its base64 travels as one Send within the envelope limit.
    static let writeChunkSize = 96 * 1024

    private func fileOperation(_ script: String, path: String, standardInput: [UInt8] = [],
                               description: String) throws -> CommandResult {
        let result = try powerShell(script, standardInput: standardInput, timeout: operationTimeout, description: description)
        if result.exitStatus == WinRMFileScripts.notFoundExitStatus { throw ConnectionError.notFound(path: path) }
        guard result.succeeded else {
            let detail = result.standardErrorText.trimmingCharacters(in: .whitespacesAndNewlines)
            throw ConnectionError.io(path: path, reason: "\(description) failed" + (detail.isEmpty ? "" : ": \(detail)"))
        }
        return result
    }

    private func powerShell(_ script: String, standardInput: [UInt8], timeout: Duration, description: String) throws -> CommandResult {
        try lock.withLock {
            guard !closed else { throw ConnectionError.notSupported("the WinRM connection to \(endpointURL) is closed; open a new one") }
            return try shell.run("powershell.exe",
                                 arguments: ["-NoProfile", "-NonInteractive", "-EncodedCommand", PowerShellCommand.encode(script)],
                                 standardInput: standardInput, timeout: timeout, description: description)
        }
    }

    /// The directory part (with its trailing separator) and the name; Windows accepts both separators.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let separator = path.lastIndex(where: { $0 == "\\" || $0 == "/" }) else { return ("", path) }
        return (String(path[...separator]), String(path[path.index(after: separator)...]))
    }
}
