import Foundation
import OGBasics
import OGMaterial
import OGPlugins

/// An endpoint a plugin author describes for `og-host plugin check --fixture DIR`,
/// so the valid-input checks exercise discovery, planning, config test and
/// activation for real instead of against a host with no files:
///
///     DIR/fixture.json   what the endpoint is and what its commands answer
///     DIR/root/          the endpoint's filesystem: /etc/nginx/nginx.conf is
///                        DIR/root/etc/nginx/nginx.conf
///
/// fixture.json:
///
///     { "type": "pem_dir",                       the endpoint type to exercise
///       "options": { "cert_dir": "/etc/ssl/site" },   schema defaults fill the rest
///       "certificate": { "common_name": "www.example.com",
///                        "dns_names": ["www.example.com"] },   optional: the leaf planned
///       "node": "",                              optional: the node id plan_install gets
///       "commands": [                            first match wins; unmatched = exit 127
///         { "argv": ["nginx", "-t"], "exit": 0, "stderr": "syntax is ok\n" },
///         { "argv_prefix": ["sh", "-c"], "run": true } ] }
///
/// A command with `"run": true` really runs on the gateway through the one
/// process runner, in the fixture's root, so a command that leaves a process
/// behind is checked the way the host runs it. Files are served from a
/// private copy of DIR/root made for each checking child, so writes never
/// change the fixture. With a fixture, every valid-input call for its type
/// must return OG_OK: the author vouches that its inputs are valid.
public final class FixtureEndpoint: @unchecked Sendable {
    struct Command: Decodable {
        var argv: [String]?
        var argvPrefix: [String]?
        var exit: Int32?
        var stdout: String?
        var stderr: String?
        var run: Bool?

        enum CodingKeys: String, CodingKey {
            case argv, exit, stdout, stderr, run
            case argvPrefix = "argv_prefix"
        }

        func matches(_ candidate: [String]) -> Bool {
            if let argv { return argv == candidate }
            if let argvPrefix { return candidate.starts(with: argvPrefix) }
            return false
        }
    }

    struct Certificate: Decodable {
        var commonName: String?
        var dnsNames: [String]?
        var ipAddresses: [String]?

        enum CodingKeys: String, CodingKey {
            case commonName = "common_name", dnsNames = "dns_names", ipAddresses = "ip_addresses"
        }
    }

    struct Description: Decodable {
        var type: String
        var options: [String: String]?
        var certificate: Certificate?
        var node: String?
        var commands: [Command]?
    }

    public let directory: String
    let description: Description
    /// The private copy of DIR/root this process serves files from.
    let root: String

    /// Reads DIR/fixture.json and copies DIR/root; the error names the file and the field.
    public init(directory: String) throws {
        self.directory = directory
        let manifest = directory + "/fixture.json"
        guard let data = FileManager.default.contents(atPath: manifest) else {
            throw FixtureError("\(manifest): cannot be read; a fixture directory holds fixture.json and root/")
        }
        do {
            description = try JSONDecoder().decode(Description.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw FixtureError("\(manifest): '\(key.stringValue)' is missing")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw FixtureError("\(manifest): '\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type")
        } catch {
            throw FixtureError("\(manifest): not valid JSON: \(error)")
        }
        for (index, command) in (description.commands ?? []).enumerated() where (command.argv == nil) == (command.argvPrefix == nil) {
            throw FixtureError("\(manifest): commands[\(index)] needs exactly one of 'argv' and 'argv_prefix'")
        }
        var template = Array("\(NSTemporaryDirectory())/og-fixture-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw FixtureError("no temporary directory for the fixture's files: \(String(cString: strerror(errno)))")
        }
        root = String(cString: made) + "/root"
        let source = directory + "/root"
        do {
            if FileManager.default.fileExists(atPath: source) {
                try FileManager.default.copyItem(atPath: source, toPath: root)
            } else {
                try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: false)
            }
        } catch {
            throw FixtureError("\(source): could not be copied: \(error.localizedDescription)")
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: (root as NSString).deletingLastPathComponent) }

    var typeName: String { description.type }

    /// The endpoint `tls add` would record: the fixture's options over the schema's defaults.
    func endpoint(for type: EndpointTypeInfo) throws -> EndpointInput {
        var input = EndpointInput.plausible(for: type)
        input.name = Array("og-fixture".utf8)
        input.connectionType = ConnectionType.local.bit
        input.platform = ConnectionType.local.platform
        input.host = []
        input.port = 0
        let given = description.options ?? [:]
        for name in given.keys where !type.options.contains(where: { $0.name == name }) {
            throw FixtureError("\(directory)/fixture.json: option '\(name)' is not an option of type \(type.name)")
        }
        input.options = try type.options.compactMap { option in
            if let value = given[option.name] {
                if let problem = OptionValueCheck.problem(with: value, for: option) {
                    throw FixtureError("\(directory)/fixture.json: option '\(option.name)' \(problem)")
                }
                return (Array(option.name.utf8), Array(value.utf8))
            }
            if let value = option.defaultValue { return (Array(option.name.utf8), Array(value.utf8)) }
            if option.required { throw FixtureError("\(directory)/fixture.json: option '\(option.name)' is required by type \(type.name)") }
            return nil
        }
        return input
    }

    /// The install request planned and activated: the fixture's certificate names, if any.
    func request(flags: UInt32) -> RequestInput {
        var request = RequestInput(flags: flags)
        if let node = description.node { request.nodeID = Array(node.utf8) }
        if let certificate = description.certificate {
            if let name = certificate.commonName {
                request.commonName = Array(name.utf8)
                request.subject = Array("CN=\(name)".utf8)
            }
            if let names = certificate.dnsNames { request.dnsNames = names.map { Array($0.utf8) } }
            if let addresses = certificate.ipAddresses { request.ipAddresses = addresses.map { Array($0.utf8) } }
        }
        return request
    }

    // MARK: The endpoint's side of host services

    /// Where an endpoint path lives in the private root; nil for a relative path or one leaving the root.
    func local(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return nil }
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            } else {
                parts.append(part)
            }
        }
        return root + "/" + parts.joined(separator: "/")
    }

    func run(_ argv: [String], standardInput: [UInt8], timeoutMilliseconds: UInt32) throws(ServiceFailure) -> CommandOutput {
        guard let command = (description.commands ?? []).first(where: { $0.matches(argv) }) else {
            return CommandOutput(exitStatus: 127, standardOutput: [],
                                 standardError: Array("\(argv.first ?? ""): not scripted in \(directory)/fixture.json\n".utf8))
        }
        guard command.run == true else {
            return CommandOutput(exitStatus: command.exit ?? 0, standardOutput: Array((command.stdout ?? "").utf8),
                                 standardError: Array((command.stderr ?? "").utf8))
        }
        let timeout: Duration = timeoutMilliseconds == 0 ? ProcessRunner.defaultTimeout : .milliseconds(Int64(timeoutMilliseconds))
        do {
            let output = try ProcessRunner.run(argv[0], Array(argv.dropFirst()), standardInput: standardInput,
                                               workingDirectory: root, timeout: timeout)
            if output.timedOut {
                throw ServiceFailure(.timeout, "\(argv[0]) did not finish within \(timeout) and was killed")
            }
            return CommandOutput(exitStatus: output.exitStatus, standardOutput: output.standardOutput,
                                 standardError: output.standardError)
        } catch BasicsError.executableNotFound(let name) {
            return CommandOutput(exitStatus: 127, standardOutput: [], standardError: Array("\(name): command not found\n".utf8))
        } catch let failure as ServiceFailure {
            throw failure
        } catch {
            throw ServiceFailure(.io, "\(argv[0]): \(error)")
        }
    }

    func readFile(_ path: String) throws(ServiceFailure) -> [UInt8] {
        guard let local = local(path), let data = FileManager.default.contents(atPath: local) else {
            throw ServiceFailure(.notFound, "\(path): no such file in the fixture")
        }
        return Array(data)
    }

    func stat(_ path: String) -> FileStatusInfo {
        guard let local = local(path) else { return FileStatusInfo(kind: .missing) }
        var status = Glibc.stat()
        guard lstat(local, &status) == 0 else { return FileStatusInfo(kind: .missing) }
        let kind: FileStatusInfo.Kind
        switch status.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        default: kind = .other
        }
        return FileStatusInfo(kind: kind, mode: UInt32(status.st_mode & 0o7777), size: UInt64(status.st_size),
                              modified: Int64(status.st_mtim.tv_sec), uid: status.st_uid, gid: status.st_gid)
    }

    func listDirectory(_ path: String) throws(ServiceFailure) -> [String] {
        guard let local = local(path), let names = try? FileManager.default.contentsOfDirectory(atPath: local) else {
            throw ServiceFailure(.notFound, "\(path): no such directory in the fixture")
        }
        return names.sorted()
    }

    func writeFile(_ path: String, contents: [UInt8], mode: UInt32) throws(ServiceFailure) {
        guard let local = local(path) else { throw ServiceFailure(.invalidArgument, "\(path): not an absolute path inside the endpoint") }
        do {
            try LocalFiles.writeAtomically(local, contents: contents, mode: mode_t(mode == 0 ? 0o644 : mode))
        } catch {
            throw ServiceFailure(.io, "\(path): \(error)")
        }
    }

    func readCertificates(_ data: [UInt8]) throws(ServiceFailure) -> [CertificateSummary] {
        do {
            return try OGMaterial.Certificate.parseAll(data).map { certificate in
                CertificateSummary(subject: certificate.subject, commonName: certificate.commonName ?? "",
                                   dnsNames: certificate.dnsNames, ipAddresses: certificate.ipAddresses,
                                   serialHex: certificate.serialHex, sha256Fingerprint: certificate.sha256Fingerprint,
                                   notBefore: Int64(certificate.notBefore.timeIntervalSince1970),
                                   notAfter: Int64(certificate.notAfter.timeIntervalSince1970),
                                   keyAlgorithm: certificate.keyAlgorithm, issuer: certificate.issuer)
            }
        } catch {
            throw ServiceFailure(.parse, "no certificate could be read: \(error)")
        }
    }
}

/// A fixture directory that cannot be used, with the file and field at fault.
public struct FixtureError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
