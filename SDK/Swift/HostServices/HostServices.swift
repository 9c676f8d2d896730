#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import OGPluginABI

/// What the host does for a plugin during one operation: logging, commands,
/// files and HTTP on the endpoint over its connection, and reading
/// certificates and keystores.
///
/// Valid only during the call that received it, and only on that call's
/// thread. Do not store it or capture it in anything that outlives the call:
/// the kit invalidates it when the operation returns, and any later use
/// stops the process with a message saying so instead of corrupting the host.
///
/// A service that fails throws a `PluginError` with the host's status. The
/// host has already told the operator why; rethrow the error unchanged (or let
/// it propagate) and the kit reports nothing twice. Throw your own
/// `PluginError` instead when you can say more.
public final class HostServices {
    private let host: HostAPI
    private let call: OpaquePointer
    private let owner: pthread_t
    private let isValid = Locked(true)

    init(host: HostAPI, call: OpaquePointer) {
        self.host = host
        self.call = call
        owner = pthread_self()
    }

    /// Ends this value's life; called by the kit when the operation returns.
    func invalidate() {
        isValid.withLock { $0 = false }
    }

    /// Writes a line to the host's log; `.info` also goes to the audit record. Never log a secret.
    public func log(_ level: LogLevel, _ message: String) {
        checkUsable("log")
        guard let log = host.slot(\.log) else { return }
        withBorrowedText(message) { log(call, level.rawValue, $0) }
    }

    /// Runs `argv[0]` with arguments `argv[1...]` on the endpoint. The host
    /// quotes each argument for the remote shell; never join a command line
    /// yourself. Secrets go on `standardInput`, never in `argv`. Returns
    /// whenever the command ran, whatever its exit status.
    public func run(_ argv: [String], standardInput: [UInt8] = [], timeout: Duration? = nil,
                    privileged: Bool = false) throws -> CommandResult {
        checkUsable("run")
        guard let program = argv.first, !program.isEmpty else {
            throw PluginError(status: .invalidArgument, field: nil,
                              message: "run: argv is empty; put the program in argv[0]")
        }
        let runCommand = try service(\.run_command, named: "run_command")
        let arena = Arena()
        var result: UnsafeMutablePointer<og_command_result>?
        let status = runCommand(call, arena.array(argv.map(arena.text)), argv.count, arena.bytes(standardInput),
                                Self.milliseconds(timeout), privileged ? OG_RUN_PRIVILEGED : 0, &result)
        return try receive(result, status: status, service: "run_command", subject: program) { fields in
            CommandResult(
                exitStatus: try fields.require(\.exit_status, named: "run_command result.exit_status"),
                standardOutput: try HostMemory.bytes(fields.require(\.stdout_data, named: "run_command result.stdout"),
                                                     field: "run_command result.stdout"),
                standardError: try HostMemory.bytes(fields.require(\.stderr_data, named: "run_command result.stderr"),
                                                    field: "run_command result.stderr"))
        }
    }

    /// The whole file at `path` on the endpoint; throws `.notFound` when it does not exist.
    public func readFile(_ path: String) throws -> [UInt8] {
        checkUsable("readFile")
        let readFile = try service(\.read_file, named: "read_file")
        var result: UnsafeMutablePointer<og_buffer>?
        let status = withBorrowedText(path) { readFile(call, $0, &result) }
        return try receive(result, status: status, service: "read_file", subject: path) { fields in
            try HostMemory.bytes(fields.require(\.data, named: "read_file result"), field: "read_file result")
        }
    }

    /// Describes `path` on the endpoint without following a final symlink.
    /// A missing path is not an error: its type is `.missing`.
    public func stat(_ path: String) throws -> FileInfo {
        checkUsable("stat")
        let statFile = try service(\.stat_file, named: "stat_file")
        var info = og_file_info()
        info.struct_size = UInt32(MemoryLayout<og_file_info>.size)
        let status = withBorrowedText(path) { statFile(call, $0, &info) }
        try check(status, service: "stat_file", subject: path)
        return FileInfo(type: FileType(rawValue: info.type) ?? .other, mode: info.mode, size: info.size,
                        modified: info.modified, uid: info.uid, gid: info.gid)
    }

    /// The entry names of a directory on the endpoint, sorted, without `.` and `..`.
    public func listDirectory(_ path: String) throws -> [String] {
        checkUsable("listDirectory")
        let listDirectory = try service(\.list_directory, named: "list_directory")
        var result: UnsafeMutablePointer<og_directory_listing>?
        let status = withBorrowedText(path) { listDirectory(call, $0, &result) }
        return try receive(result, status: status, service: "list_directory", subject: path) { fields in
            let names = try fields.require(\.names, named: "list_directory result.names")
            let count = try fields.require(\.count, named: "list_directory result.count")
            return try HostMemory.elements(names, count: count, field: "list_directory result").map {
                try HostMemory.text($0, field: "list_directory result")
            }
        }
    }

    /// Writes a whole file on the endpoint atomically, keeping an existing
    /// file's mode and owner; `mode` 0 means 0644 for a new file. Files an
    /// install changes belong in the install plan instead, where the host backs them up.
    public func writeFile(_ path: String, contents: [UInt8], mode: UInt32 = 0) throws {
        checkUsable("writeFile")
        let writeFile = try service(\.write_file, named: "write_file")
        let status = withBorrowedText(path) { path in
            contents.withUnsafeBufferPointer { writeFile(call, path, og_bytes(ptr: $0.baseAddress, len: $0.count), mode) }
        }
        try check(status, service: "write_file", subject: path)
    }

    /// Sends a request to the endpoint's REST base URL; returns whenever a response arrived.
    public func http(_ request: HTTPRequest) throws -> HTTPResponse {
        checkUsable("http")
        let httpRequest = try service(\.http_request, named: "http_request")
        let arena = Arena()
        var encoded = og_http_request()
        encoded.struct_size = UInt32(MemoryLayout<og_http_request>.size)
        encoded.method = arena.text(request.method)
        encoded.path = arena.text(request.path)
        encoded.headers = arena.array(request.headers.map { og_http_header(name: arena.text($0.name), value: arena.text($0.value)) })
        encoded.header_count = request.headers.count
        encoded.body = arena.bytes(request.body)
        encoded.timeout_ms = Self.milliseconds(request.timeout)
        encoded.body_kind = request.bodyKind.rawValue
        var result: UnsafeMutablePointer<og_http_response>?
        let status = httpRequest(call, &encoded, &result)
        return try response(result, status: status, service: "http_request", subject: "\(request.method) \(request.path)")
    }

    /// Sends content the host renders from the install in progress (the key, the certificate, a PKCS#12, ...)
    /// to `request.path` in pieces of at most `chunkSize` bytes with Content-Range; the bytes never reach the
    /// plugin. Returns the first non-2xx answer, else the last one. Only during `applyInstall`. ABI 1.1.
    public func upload(_ content: UploadContent, request: HTTPRequest, chunkSize: Int = 0) throws -> HTTPResponse {
        checkUsable("upload")
        let uploadContent = try service(\.upload_content, named: "upload_content")
        guard request.body.isEmpty, request.bodyKind == .literal, chunkSize >= 0, chunkSize <= Int(UInt32.max) else {
            throw PluginError(status: .invalidArgument, field: nil,
                              message: "upload: the request must have no body of its own and chunkSize must be 0...\(UInt32.max)")
        }
        let arena = Arena()
        var encoded = og_http_request()
        encoded.struct_size = UInt32(MemoryLayout<og_http_request>.size)
        encoded.method = arena.text(request.method)
        encoded.path = arena.text(request.path)
        encoded.headers = arena.array(request.headers.map { og_http_header(name: arena.text($0.name), value: arena.text($0.value)) })
        encoded.header_count = request.headers.count
        encoded.timeout_ms = Self.milliseconds(request.timeout)
        var result: UnsafeMutablePointer<og_http_response>?
        let status = uploadContent(call, &encoded, content.rawValue, UInt32(chunkSize), &result)
        return try response(result, status: status, service: "upload_content", subject: "\(request.method) \(request.path)")
    }

    /// Hands the host the undo token of the apply in progress; it is journalled durably before this returns.
    /// Call it before the first change on the endpoint. Only during `applyInstall`. ABI 1.1.
    public func journalUndoToken(_ token: [UInt8]) throws {
        checkUsable("journalUndoToken")
        let journal = try service(\.journal_undo_token, named: "journal_undo_token")
        let arena = Arena()
        try check(journal(call, arena.bytes(token)), service: "journal_undo_token", subject: "(\(token.count) bytes)")
    }

    /// Whether the host takes `attestOldConfigurationRetired()` (an ABI 1.2 host or later). Check it
    /// before gathering the proof, so a plugin does no work for a host that would not use it.
    public var takesOldConfigurationRetired: Bool {
        host.slot(\.attest_old_configuration_retired) != nil
    }

    /// Tells the host, during `activate`, that the endpoint no longer hands a new connection to
    /// anything running the configuration it had before this activation: you triggered the
    /// change and then SAW every old process that accepted connections exit or stop accepting
    /// (for nginx: every worker the master had before the reload gone or titled "nginx: worker
    /// process is shutting down"). When every activation of an install says so, the host takes
    /// one handshake serving the new certificate per verify target as proof, instead of
    /// requiring it to hold over a settle window (og_plugin.h, WHO DECIDES WHAT). Never call it
    /// on a guess or after a fixed delay; when you cannot see it, do not call it and the settle
    /// window applies. Throws `.notSupported` outside `activate` or on a host older than ABI 1.2
    /// (see `takesOldConfigurationRetired`).
    public func attestOldConfigurationRetired() throws {
        checkUsable("attestOldConfigurationRetired")
        let attest = try service(\.attest_old_configuration_retired, named: "attest_old_configuration_retired")
        try check(attest(call), service: "attest_old_configuration_retired", subject: "")
    }

    private func response(_ result: UnsafeMutablePointer<og_http_response>?, status: og_status, service: String,
                          subject: String) throws -> HTTPResponse {
        try receive(result, status: status, service: service, subject: subject) { fields in
            let headers = try HostMemory.elements(try fields.require(\.headers, named: "http_request result.headers"),
                                                  count: try fields.require(\.header_count, named: "http_request result.header_count"),
                                                  field: "http_request result.headers")
            return HTTPResponse(
                status: Int(try fields.require(\.status, named: "http_request result.status")),
                headers: try headers.map {
                    HTTPHeader(try HostMemory.text($0.name, field: "http_request result header name"),
                               try HostMemory.text($0.value, field: "http_request result header value"))
                },
                body: try HostMemory.bytes(fields.require(\.body, named: "http_request result.body"),
                                           field: "http_request result.body"))
        }
    }

    /// The entries of a keystore whose bytes the plugin read. The host takes
    /// the store password from the endpoint option named `passwordOption`, so
    /// it never reaches the plugin. Throws `.auth` for a wrong password,
    /// `.parse` for a damaged store.
    public func readKeystore(format: KeystoreFormat, data: [UInt8], passwordOption: String) throws -> [KeystoreEntryInfo] {
        checkUsable("readKeystore")
        let readKeystore = try service(\.read_keystore, named: "read_keystore")
        var result: UnsafeMutablePointer<og_keystore_listing>?
        let status = withBorrowedText(passwordOption) { option in
            data.withUnsafeBufferPointer {
                readKeystore(call, format.rawValue, og_bytes(ptr: $0.baseAddress, len: $0.count), option, &result)
            }
        }
        return try receive(result, status: status, service: "read_keystore", subject: "(\(data.count) bytes)") { fields in
            let entries = try HostMemory.sizedElements(try fields.require(\.entries, named: "read_keystore result.entries"),
                                                  count: try fields.require(\.count, named: "read_keystore result.count"),
                                                  field: "read_keystore result")
            return try entries.enumerated().map { index, entry in
                let place = "read_keystore result entry \(index)"
                guard entry.chain_length >= 0, entry.chain_length <= HostMemory.maximumElementCount else {
                    throw PluginError(status: .invalidArgument, field: "\(place).chain_length",
                                      message: "is \(UInt(bitPattern: entry.chain_length)), which no chain reaches")
                }
                return KeystoreEntryInfo(
                    alias: try HostMemory.text(entry.alias, field: "\(place).alias"),
                    hasPrivateKey: entry.has_private_key != 0,
                    chainLength: entry.chain_length,
                    certificate: try entry.certificate.map { try CallInputs.certificateInfo($0, field: place) },
                    certificateDER: try HostMemory.bytes(entry.certificate_der, field: "\(place).certificate_der"))
            }
        }
    }

    /// Every certificate in `data` (PEM, one or many, or a single DER), in
    /// file order. Throws `.parse` when none can be read.
    public func readCertificates(_ data: [UInt8]) throws -> [CertificateInfo] {
        checkUsable("readCertificates")
        let readCertificates = try service(\.read_certificates, named: "read_certificates")
        var result: UnsafeMutablePointer<og_certificate_list>?
        let status = data.withUnsafeBufferPointer {
            readCertificates(call, og_bytes(ptr: $0.baseAddress, len: $0.count), &result)
        }
        return try receive(result, status: status, service: "read_certificates", subject: "(\(data.count) bytes)") { fields in
            try Self.certificates(fields, service: "read_certificates")
        }
    }

    /// The certificates of the file at `path` on the endpoint, parsed by the
    /// host so that a private key in the same file (a combined PEM) never
    /// reaches the plugin. Throws `.notFound` for a missing file, `.parse` when
    /// it holds no certificate, `.notSupported` on a 1.0 host.
    public func readCertificates(atPath path: String) throws -> [CertificateInfo] {
        checkUsable("readCertificates(atPath:)")
        let readFileCertificates = try service(\.read_file_certificates, named: "read_file_certificates")
        var result: UnsafeMutablePointer<og_certificate_list>?
        let status = withBorrowedText(path) { readFileCertificates(call, $0, &result) }
        return try receive(result, status: status, service: "read_file_certificates", subject: path) { fields in
            try Self.certificates(fields, service: "read_file_certificates")
        }
    }

    private static func certificates(_ fields: SizedStruct<og_certificate_list>, service: String) throws -> [CertificateInfo] {
        let list = try HostMemory.elements(try fields.require(\.certificates, named: "\(service) result.certificates"),
                                           count: try fields.require(\.count, named: "\(service) result.count"),
                                           field: "\(service) result")
        return try list.enumerated().map { index, certificate in
            let place = "\(service) result[\(index)]"
            guard let certificate else {
                throw PluginError(status: .invalidArgument, field: place, message: "is NULL; the host listed a missing certificate")
            }
            return try CallInputs.certificateInfo(certificate, field: place)
        }
    }

    // MARK: - Plumbing

    private func checkUsable(_ service: String) {
        guard isValid.withLock({ $0 }) else {
            fatalError("OGPluginKit: HostServices.\(service) was used after the plugin operation that received it "
                       + "returned. HostServices is valid only during that call; do not store it or capture it "
                       + "in a closure or task that outlives the call.")
        }
        guard pthread_equal(owner, pthread_self()) != 0 else {
            fatalError("OGPluginKit: HostServices.\(service) was used on a thread other than the one that received "
                       + "the plugin operation. Call host services only from the operation's own thread.")
        }
    }

    private func service<Function>(_ field: KeyPath<og_host_api, Function?>, named name: String) throws -> Function {
        guard let function = host.slot(field) else {
            throw PluginError(status: .notSupported, field: nil,
                              message: "the host does not offer the \(name) service (its services table is older or incomplete)")
        }
        return function
    }

    private func check(_ status: og_status, service: String, subject: String) throws {
        guard status != OG_OK else { return }
        let code = Status(code: status) ?? .internal
        throw PluginError(status: code, field: nil,
                          message: "\(service) \(subject): \(code) (the host reported the details)",
                          isReportedByHost: true)
    }

    /// Checks `status`, reads the host-owned `result` with `decode` and gives it back through host->release.
    private func receive<Layout, Value>(_ result: UnsafeMutablePointer<Layout>?, status: og_status, service: String,
                                        subject: String, _ decode: (SizedStruct<Layout>) throws -> Value) throws -> Value {
        defer {
            if let result, let release = host.slot(\.release) { release(result) }
        }
        try check(status, service: service, subject: subject)
        guard let result else {
            throw PluginError(status: .internal, field: nil,
                              message: "\(service) \(subject): the host reported success but returned no result")
        }
        return try decode(SizedStruct(result))
    }

    private static func milliseconds(_ timeout: Duration?) -> UInt32 {
        guard let timeout else { return 0 }
        let (seconds, attoseconds) = timeout.components
        let milliseconds = (Double(seconds) * 1000 + Double(attoseconds) / 1e15).rounded(.up)
        // 0 would mean "host default", so a tiny positive timeout becomes 1 ms.
        return UInt32(min(max(milliseconds, 1), Double(UInt32.max)))
    }
}
