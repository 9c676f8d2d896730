import OGBasics
import Foundation
import Logging
import OGConnections
import OGCredentials
import OGInventory
import OGMaterial
import OGPlugins

/// One open connection to an endpoint plus the secrets its plugin may refer to
/// by option name: the PluginHostServices a plugin gets during a job.
///
/// Every command run is remembered (argv and exit status, never stdin) so the
/// job's audit record can say what was done on the endpoint.
public final class EndpointSession: PluginHostServices, @unchecked Sendable {
    public let connection: Connection
    public let endpoint: EndpointConfig
    /// Secret option values by option name (e.g. store_password); never logged.
    let secretOptions: [String: String]
    // Job-local log, touched only by the thread running the job.
    public internal(set) var commandLog: [String] = []
    public private(set) var pluginLog: [String] = []
    /// The plugin's warnings and errors in this session, for reports that show them with their result
    /// (e.g. the site files `tls nodes` could not read).
    public private(set) var pluginWarnings: [String] = []
    /// The endpoint's login, for `{{og:user}}`/`{{og:password}}` in request templates (ABI 1.1); never logged.
    var loginUser = ""
    var loginPassword: String?
    /// Set while an API install's apply_install runs: what upload_content renders and where tokens are journalled.
    var apiInstall: APIInstallContext?
    /// Set while a job activates its nodes: a later node's commands that repeat an earlier node's are answered from the record.
    var activationReplay: ActivationReplay?
    /// Keystores decoded or written during this session, so an install decodes its store once.
    let keystores = KeystoreDecodeCache()
    /// Set inside `rememberingReads`: what was read of the endpoint since the job last changed anything.
    private var remembered: RememberedReads?

    /// The job's logger (`JobLog.logger` when the session was opened) with the endpoint's type.
    public let logger: Logger

    init(connection: Connection, endpoint: EndpointConfig, secretOptions: [String: String]) {
        self.connection = connection
        self.endpoint = endpoint
        self.secretOptions = secretOptions
        var logger = JobLog.logger
        if logger[metadataKey: "endpoint"] == nil { logger[metadataKey: "endpoint"] = .string(endpoint.name) }
        logger[metadataKey: "type"] = .string(endpoint.type)
        self.logger = logger
    }

    /// An SSH connection goes back to the pool it came from (kept only if the pool is on and it can be reused).
    deinit {
        if let ssh = connection as? SSHConnection { ssh.endUse() } else { connection.close() }
    }

    /// Opens the connection a new endpoint describes and runs the plugin's own validation through it.
    /// `updating` (the stored name, for tls update) opens the connection even when the plugin has no
    /// validation of its own. With `replacingHostKey` the fingerprint the operator typed decides alone
    /// over a differently remembered key (a re-pin); the caller replaces the remembered pin once
    /// everything has succeeded.
    public static func validate(_ draft: EndpointDraft, plugin: PluginLibrary, gateway: Gateway,
                                updating storedName: String? = nil, replacingHostKey: Bool = false) throws {
        guard plugin.hasValidateSlot || storedName != nil else { return }
        let authentication: ConnectionAuthentication
        var user = draft.user ?? ""
        if let keyPath = draft.sshKeyPath {
            authentication = .privateKey(path: keyPath, passphrase: draft.sshKeyPassword)
        } else if let password = draft.password {
            authentication = .password(password)
        } else if let store = draft.store, let id = draft.storeCredentialID {
            let credential = try CredentialResolver(gateway: gateway).credential(store: store, id: id, field: "store_cred_id")
            authentication = credential.authentication
            // --user cannot be combined with --store: the store's credential names the login, as when jobs connect later.
            user = credential.username
        } else {
            authentication = .none
        }
        let spec = try connectionSpec(type: draft.connectionType, host: draft.host, port: draft.port,
                                      user: user, authentication: authentication,
                                      sudo: draft.sudo, sudoPassword: draft.password,
                                      fingerprint: draft.hostKeyFingerprint, legacyAlgorithms: draft.sshLegacyAlgorithms,
                                      replacingHostKey: replacingHostKey)
        let session = try open(spec, endpoint: draft.pluginView, secretOptions: draft.secretOptions, gateway: gateway,
                               repinCommand: storedName.map { "og-host tls update '\($0)'" } ?? "og-host tls add \(draft.type) <the same options>")
        guard plugin.hasValidateSlot else { return }
        do {
            try plugin.validateEndpoint(draft.pluginView, services: session)
        } catch {
            throw GatewayError(error.description, category: GatewayError.category(of: error.status))
        }
    }

    /// Opens the connection of a stored endpoint, resolving its credentials now.
    public static func open(_ record: EndpointRecord, gateway: Gateway) throws -> EndpointSession {
        let resolver = CredentialResolver(gateway: gateway)
        guard let connectionType = ConnectionType(rawValue: record.connectionType) else {
            throw GatewayError("endpoint '\(record.name)' has unknown connection type '\(record.connectionType)'")
        }
        var options = (try? JSONSerialization.jsonObject(with: Data(record.options.utf8)) as? [String: String]) ?? [:]
        let sudo = options.removeValue(forKey: "sudo") ?? "none"
        let fingerprint = options.removeValue(forKey: "host_key_fingerprint")
        let legacyAlgorithms = options.removeValue(forKey: "ssh_legacy_algorithms")
        var secrets: [String: String] = [:]
        for (option, reference) in record.secretOptions where option != "sudo_password" {
            secrets[option] = try resolver.credential(store: reference.store, id: reference.id, field: option).secretText
        }
        var authentication = ConnectionAuthentication.none
        var user = record.user ?? ""
        var sudoPassword: String? = nil
        if let reference = record.credential {
            let credential = try resolver.credential(store: reference.store, id: reference.id, field: "store_cred_id")
            authentication = credential.authentication
            user = credential.username
            if case .password(let password) = authentication { sudoPassword = password }
        }
        if let reference = record.secretOptions["sudo_password"] {
            sudoPassword = try resolver.credential(store: reference.store, id: reference.id, field: "sudo").secretText
        }
        let spec = try connectionSpec(type: connectionType, host: record.host, port: record.port, user: user,
                                      authentication: authentication, sudo: sudo, sudoPassword: sudoPassword,
                                      fingerprint: fingerprint, legacyAlgorithms: legacyAlgorithms)
        let endpoint = EndpointConfig(type: record.type, name: record.name, connectionType: connectionType,
                                      host: record.host, port: record.port ?? 0,
                                      options: options.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
                                        + secrets.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        return try open(spec, endpoint: endpoint, secretOptions: secrets, gateway: gateway)
    }

    static func connectionSpec(type: ConnectionType, host: String, port: Int?, user: String,
                               authentication: ConnectionAuthentication, sudo: String, sudoPassword: String?,
                               fingerprint: String?, legacyAlgorithms: String? = nil,
                               replacingHostKey: Bool = false) throws -> ConnectionSpec {
        if type == .local { return .local }
        let algorithms: SSHAlgorithms
        do {
            algorithms = try legacyAlgorithms.map { try SSHAlgorithms(legacy: $0) } ?? .modernOnly
        } catch ConnectionError.invalidArgument(_, let problem) {
            throw GatewayError.option("ssh_legacy_algorithms", problem)
        }
        return ConnectionSpec(type: type, host: host, port: port, user: user, authentication: authentication,
                              sudo: sudo != "none", sudoPassword: sudo == "password" ? sudoPassword : nil,
                              hostKeyPolicy: HostKeyPolicy(pinnedFingerprint: fingerprint, trustOnFirstUse: fingerprint == nil,
                                                             replacesRememberedKey: replacingHostKey),
                              sshAlgorithms: algorithms)
    }

    /// `repinCommand` is what the operator runs, with `--host_key_fingerprint NEW`, to accept a changed host key.
    static func open(_ spec: ConnectionSpec, endpoint: EndpointConfig, secretOptions: [String: String],
                     gateway: Gateway, repinCommand: String? = nil) throws -> EndpointSession {
        do {
            var connection: Connection
            switch spec.type {
            case .rest, .restInsecure:
                // Built by the host so that its trust anchors and outbound proxy apply.
                connection = try OutboundHTTP(gateway: gateway).restConnection(spec)
            case .winrmHTTPS:
                // Verified against the system store plus the operator's anchors (`og-host ca`).
                let anchors = try TrustAnchorSource.operatorAnchors(gateway: gateway).map(\.pem).joined(separator: "\n")
                connection = try WinRMConnection(spec: spec, trustedCertificates: Array(anchors.utf8))
            case .ssh, .sshWindows:
                // Reused from the process's pool when it is on and holds a live connection of the same identity;
                // never for a connection about to be wrapped for fault injection (it must see every step).
                connection = try SSHConnectionPool.current.checkOut(
                    spec, hostKeyStore: InventoryHostKeyStore(inventory: try gateway.inventory()), keep: !FaultPoints.isArmed)
            default:
                connection = try ConnectionFactory.open(spec, hostKeyStore: nil)
            }
            if FaultPoints.isArmed, !(connection is RESTConnection) {
                // Tests only: a crash point before and after every change on the endpoint.
                connection = FaultInjectingConnection(connection)
            }
            let session = EndpointSession(connection: connection, endpoint: endpoint, secretOptions: secretOptions)
            session.loginUser = spec.user
            if case .password(let password) = spec.authentication { session.loginPassword = password }
            return session
        } catch ConnectionError.hostKeyRejected(let host, let expected, let presented)
                    where (spec.type == .ssh || spec.type == .sshWindows) && !spec.hostKeyPolicy.replacesRememberedKey {
            // The one documented way to accept a legitimate change: both fingerprints shown, the new one typed by the operator.
            throw GatewayError("endpoint '\(endpoint.name)': \(host): host key changed: pinned \(expected), the server presented \(presented). "
                + "The server may have been reinstalled, or someone may be intercepting the connection. Check the "
                + "fingerprint on the server itself (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub); only if it is "
                + "\(presented), re-pin it: \(repinCommand ?? "og-host tls update '\(endpoint.name)'") field `host_key_fingerprint` \(presented)",
                category: .authenticationRefused)
        } catch let error as ConnectionError {
            throw GatewayError.classify(error, context: "endpoint '\(endpoint.name)'")
        }
    }

    // MARK: Reads while planning

    /// Runs `body` (planning and rendering one node, during which the job
    /// changes nothing on the endpoint) with the endpoint's file reads
    /// remembered: the host's rendering then takes a file's status and bytes
    /// from the plugin's plan, which just read them, instead of asking the
    /// endpoint again (over SSH each read is five round trips). Anything that
    /// may change the endpoint through this session (a command, a write, an
    /// HTTP request) forgets everything; nothing is remembered outside `body`.
    func rememberingReads<T>(_ body: () throws -> T) rethrows -> T {
        guard remembered == nil else { return try body() }
        remembered = RememberedReads()
        defer {
            remembered?.forget()
            remembered = nil
        }
        return try body()
    }

    /// The endpoint's `stat` (not following a final symlink), remembered inside `rememberingReads`.
    func fileStatus(_ path: String) throws -> FileStatus {
        if let known = remembered?.statuses[path] { return known }
        let status = try connection.stat(path)
        remembered?.statuses[path] = status
        return status
    }

    /// The endpoint's file contents, remembered inside `rememberingReads`.
    func fileContents(_ path: String) throws -> [UInt8] {
        if let known = remembered?.contents[path] { return known }
        let contents = try connection.readFile(path)
        remembered?.contents[path] = contents
        return contents
    }

    final class RememberedReads {
        var statuses: [String: FileStatus] = [:]
        var contents: [String: [UInt8]] = [:]

        /// Drops everything; the bytes may be a private key, so they are wiped first.
        func forget() {
            for path in contents.keys { SecureMemory.wipe(&contents[path]!) }
            contents = [:]
            statuses = [:]
        }
    }

    // MARK: PluginHostServices

    /// A plugin's `log` call: into the job's log, marked as the plugin's.
    public func log(_ level: PluginLogLevel, _ message: String) {
        pluginLog.append(message)
        if level == .warning || level == .error { pluginWarnings.append(message) }
        let mapped: Logger.Level
        switch level {
        case .error: mapped = .error
        case .warning: mapped = .warning
        case .info: mapped = .info
        case .debug: mapped = .debug
        }
        logger.log(level: mapped, "\(message)", metadata: ["source": "plugin"])
    }

    public func run(_ argv: [String], standardInput: [UInt8], timeoutMilliseconds: UInt32, privileged: Bool) throws(ServiceFailure) -> CommandOutput {
        // og_plugin.h: timeout_ms 0 means the host default, which every connection enforces.
        let timeout: Duration = timeoutMilliseconds == 0 ? ProcessRunner.defaultTimeout : .milliseconds(Int64(timeoutMilliseconds))
        let command = ActivationReplay.Command(argv: argv, standardInput: standardInput, privileged: privileged)
        if let replayed = activationReplay?.answer(command) {
            commandLog.append("\(argv.joined(separator: " ")) -> exit \(replayed.exitStatus) (as for an earlier node; not run again)")
            logger.debug("not run again for this node: \(argv.joined(separator: " ")) -> exit \(replayed.exitStatus)")
            return replayed
        }
        remembered?.forget()
        let result = try mapped { try connection.run(argv, standardInput: standardInput, timeout: timeout, privileged: privileged) }
        commandLog.append("\(argv.joined(separator: " ")) -> exit \(result.exitStatus)")
        // argv never holds secrets (they travel on stdin or by option name).
        logger.debug("ran \(argv.joined(separator: " ")) -> exit \(result.exitStatus)")
        let output = CommandOutput(exitStatus: result.exitStatus, standardOutput: result.standardOutput, standardError: result.standardError)
        activationReplay?.record(command, output)
        return output
    }

    public func readFile(_ path: String) throws(ServiceFailure) -> [UInt8] {
        try mapped { try fileContents(path) }
    }

    public func stat(_ path: String) throws(ServiceFailure) -> FileStatusInfo {
        let status = try mapped { try fileStatus(path) }
        let kind: FileStatusInfo.Kind
        switch status.type {
        case .missing: kind = .missing
        case .regular: kind = .regular
        case .directory: kind = .directory
        case .symlink: kind = .symlink
        case .other: kind = .other
        }
        return FileStatusInfo(kind: kind, mode: status.mode, size: status.size, modified: status.modified, uid: status.uid, gid: status.gid)
    }

    public func listDirectory(_ path: String) throws(ServiceFailure) -> [String] {
        try mapped { try connection.listDirectory(path) }
    }

    public func writeFile(_ path: String, contents: [UInt8], mode: UInt32) throws(ServiceFailure) {
        // A later node's activation writing exactly what an earlier node's wrote at the same step
        // (Tomcat's activation marker) repeats it: the file already holds those bytes.
        let step = ActivationReplay.Command(argv: [path, String(mode, radix: 8)], standardInput: contents, privileged: false, isWrite: true)
        if activationReplay?.answer(step) != nil {
            logger.debug("not written again for this node: \(path) (as for an earlier node)")
            return
        }
        remembered?.forget()
        try mapped { try connection.writeFileAtomically(path, contents: contents, mode: mode == 0 ? nil : mode) }
        activationReplay?.record(step, CommandOutput(exitStatus: 0, standardOutput: [], standardError: []))
    }

    public func http(_ request: HTTPRequestInfo) throws(ServiceFailure) -> HTTPResponseInfo {
        activationReplay?.diverge()
        remembered?.forget()
        guard let rest = connection as? RESTConnection else {
            throw ServiceFailure(.notSupported, "HTTP requests need a rest connection; this endpoint uses \(endpoint.connectionType.rawValue)")
        }
        let timeout: Duration = request.timeoutMilliseconds == 0 ? .seconds(60) : .milliseconds(Int64(request.timeoutMilliseconds))
        let (body, filledSecrets) = request.bodyKind == .template ? try renderTemplate(request.body) : (request.body, [])
        var response: HTTPResponse
        do {
            response = try rest.send(method: request.method, path: request.path,
                                     headers: request.headers.map { (name: $0.0, value: $0.1) }, body: body, timeout: timeout)
            response.body = Self.redacting(filledSecrets, in: response.body)
        } catch let error as HTTPError {
            commandLog.append("HTTP \(request.method) \(request.path) -> failed")
            throw ServiceFailure(Self.status(of: error), error.description)
        } catch {
            throw ServiceFailure(.connect, "\(error)")
        }
        // Audits must show when the appliance's certificate was taken on faith.
        commandLog.append("HTTP \(request.method) \(request.path) -> \(response.status)"
                          + (rest.skipsCertificateVerification ? " (server certificate not verified: rest_insecure)" : ""))
        return HTTPResponseInfo(status: Int32(response.status), headers: response.headers.map { ($0.name, $0.value) }, body: response.body)
    }

    private static func status(of error: HTTPError) -> PluginStatus {
        switch error {
        case .couldNotConnect, .proxyFailed, .tlsFailed: return .connect
        case .identityRejected: return .identity
        case .timedOut: return .timeout
        case .transferFailed, .unexpectedStatus: return .io
        case .invalidArgument: return .invalidArgument
        }
    }

    public func readKeystore(format: KeystoreFormat, data: [UInt8], passwordOption: String) throws(ServiceFailure) -> [KeystoreEntrySummary] {
        guard let password = secretOptions[passwordOption] ?? endpoint.option(passwordOption) else {
            throw ServiceFailure(.invalidArgument, "no option '\(passwordOption)' holds a keystore password for this endpoint")
        }
        return try KeystoreReading.entries(format: format, data: data, password: password, option: passwordOption,
                                           cache: keystores)
    }

    public func readCertificates(_ data: [UInt8]) throws(ServiceFailure) -> [CertificateSummary] {
        do {
            // What a plugin reads back is mostly what an earlier job wrote: parsed once per process for each text.
            return try ParsedCertificates.shared.parseAll(data).map(CertificateSummary.init)
        } catch {
            throw ServiceFailure(.parse, "no certificate could be read: \(error)")
        }
    }

    private func mapped<T>(_ body: () throws -> T) throws(ServiceFailure) -> T {
        do {
            return try body()
        } catch let error as ConnectionError {
            throw ServiceFailure(error.pluginStatus, error.description)
        } catch {
            throw ServiceFailure(.io, "\(error)")
        }
    }
}

extension ConnectionError {
    /// The SDK status a plugin sees for this failure.
    var pluginStatus: PluginStatus {
        switch self {
        case .couldNotConnect: return .connect
        case .authenticationFailed: return .auth
        case .hostKeyRejected, .hostKeyUnknown: return .identity
        case .commandFailed: return .commandFailed
        case .timedOut: return .timeout
        case .notFound: return .notFound
        case .io: return .io
        case .notSupported: return .notSupported
        case .invalidArgument: return .invalidArgument
        }
    }
}

extension CertificateSummary {
    init(_ certificate: Certificate) {
        self.init(subject: certificate.subject, commonName: certificate.commonName ?? "", dnsNames: certificate.dnsNames,
                  ipAddresses: certificate.ipAddresses, serialHex: certificate.serialHex,
                  sha256Fingerprint: certificate.sha256Fingerprint,
                  notBefore: Int64(certificate.notBefore.timeIntervalSince1970),
                  notAfter: Int64(certificate.notAfter.timeIntervalSince1970),
                  keyAlgorithm: certificate.keyAlgorithm, issuer: certificate.issuer)
    }
}

/// SSH trust-on-first-use pins kept in the inventory.
final class InventoryHostKeyStore: HostKeyStore, @unchecked Sendable {
    let inventory: any InventoryStore
    init(inventory: any InventoryStore) { self.inventory = inventory }
    func pinnedFingerprint(host: String, port: Int) throws -> String? { try inventory.hostKeyPin(host: host, port: port)?.fingerprint }
    func pin(host: String, port: Int, fingerprint: String) throws {
        try inventory.setHostKeyPin(HostKeyPin(host: host, port: port, fingerprint: fingerprint))
    }
}
