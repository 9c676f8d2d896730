import OGPluginKit

/// Plans an install on one TLS virtual host: new certificate and key files
/// with a stable per-node name, and edits of only that virtual host's
/// certificate directives, each keeping its indentation.
struct InstallPlanner {
    let target: ApacheEndpoint
    let host: HostServices

    /// The plan, and the certificate/key files it has the host write.
    func plan(_ request: InstallRequest) throws -> (InstallPlan, HostWrittenPairs.Pair) {
        let configuration = try ConfigReader.read(target, host: host)
        let hosts = try TLSVirtualHost.all(in: configuration, endpointHost: target.endpoint.host)
        let chosen = try NodeSelection.choose(request, among: hosts)
        let block = chosen.block
        guard block.certificateFiles.count <= 1, block.keyFiles.count <= 1 else {
            let lines = (block.certificateFiles + block.keyFiles).map(\.line.location).joined(separator: ", ")
            throw PluginError(status: .conflict, field: "node",
                              message: "\(chosen.id) has several SSLCertificateFile/SSLCertificateKeyFile lines "
                                  + "(\(lines)), e.g. an RSA and an ECDSA pair; og-host replaces exactly one pair, "
                                  + "so keep one pair in that virtual host")
        }
        let directory = try certificateDirectory(for: chosen)
        let stem = "og-" + String(chosen.id.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" })
        let certificatePath = "\(directory)/\(stem).crt"
        let keyPath = "\(directory)/\(stem).key"

        var edits: [LineEdit] = []
        if let certificate = block.certificateFiles.first {
            var replacement = [directiveLine(certificate, path: certificatePath)]
            if let key = block.keyFiles.first {
                edits.append(LineEdit(site: key, lines: [directiveLine(key, path: keyPath)]))
            } else {
                replacement.append(certificate.line.indentation + "SSLCertificateKeyFile " + quoted(keyPath))
            }
            edits.insert(LineEdit(site: certificate, lines: replacement), at: 0)
        } else if let engine = block.sslEngine {
            // No certificate of its own: add the directives after SSLEngine;
            // a key line it already has is repointed rather than repeated.
            let indentation = engine.line.indentation
            var added = [indentation + "SSLCertificateFile " + quoted(certificatePath)]
            if let key = block.keyFiles.first {
                edits.append(LineEdit(site: key, lines: [directiveLine(key, path: keyPath)]))
            } else {
                added.append(indentation + "SSLCertificateKeyFile " + quoted(keyPath))
            }
            edits.append(LineEdit(site: engine, lines: nil, appended: added))
        }
        // The chain now travels in the certificate file (httpd 2.4.8+); a
        // separate chain file would add a stale second copy.
        for chain in block.chainFiles {
            edits.append(LineEdit(site: chain, lines: [
                chain.line.indentation + "# \(chain.name) \(quoted(chain.arguments[0])) (replaced by og-host: the "
                    + "chain is in \(certificatePath))",
            ]))
        }
        try refuseShared(edits, chosen: chosen, among: hosts)

        var changes: [FileChange] = [.fullChainPEM(certificatePath), .privateKeyPEM(keyPath)]
        for (file, fileEdits) in Dictionary(grouping: edits, by: { $0.site.line.file }).sorted(by: { $0.key < $1.key }) {
            guard let original = configuration.files[file] else { continue }
            let updated = LineEdit.apply(fileEdits, to: original)
            if updated != original { changes.append(.literal(try realPath(file), updated).requiringExistingFile()) }
        }
        let plan = InstallPlan(
            summary: "write \(certificatePath) and \(keyPath), point \(chosen.id) (\(block.opening.location)) at "
                + "them, test the configuration, check key and certificate match, graceful restart",
            nodeID: chosen.id, changes: changes, verify: chosen.verifyTargets(endpointHost: target.endpoint.host))
        return (plan, HostWrittenPairs.Pair(certificatePath: certificatePath, keyPath: keyPath))
    }

    private func certificateDirectory(for chosen: TLSVirtualHost) throws -> String {
        let directory: String
        if let configured = target.certificateDirectory {
            directory = configured.count > 1 && configured.hasSuffix("/") ? String(configured.dropLast()) : configured
        } else if let current = chosen.certificateFile?.arguments.first {
            directory = ConfigPath.directory(of: current)
        } else {
            throw PluginError(status: .invalidArgument, field: "cert_dir",
                              message: "\(chosen.id) has no SSLCertificateFile to put the new files beside; add the "
                                  + "endpoint again with --cert_dir <existing directory>")
        }
        let type = try host.stat(directory).type
        guard type == .directory || type == .symlink else {
            throw PluginError(status: .notFound, field: "cert_dir",
                              message: "\(directory) is not an existing directory; create it or give --cert_dir")
        }
        return directory
    }

    /// An edit in a file another TLS virtual host reads too (a shared
    /// snippet) would change that host as well; refuse rather than surprise.
    private func refuseShared(_ edits: [LineEdit], chosen: TLSVirtualHost, among hosts: [TLSVirtualHost]) throws {
        for other in hosts where other.id != chosen.id {
            let sites = other.block.certificateFiles + other.block.keyFiles + other.block.chainFiles
                + (other.block.sslEngine.map { [$0] } ?? [])
            for edit in edits where sites.contains(where: { $0.line.file == edit.site.line.file && $0.line.line == edit.site.line.line }) {
                throw PluginError(status: .conflict, field: "node",
                                  message: "\(edit.site.line.location) (\(edit.site.name)) is shared by \(chosen.id) "
                                      + "and \(other.id), e.g. through an included snippet; changing it would change "
                                      + "both, so write the directive inside each <VirtualHost>")
            }
        }
    }

    /// Debian enables sites through symlinks; the host replaces files
    /// atomically, so edits go to the link's target and the link stays.
    private func realPath(_ path: String) throws -> String {
        guard try host.stat(path).type == .symlink else { return path }
        let resolved = try host.run(["readlink", "-f", "--", path], timeout: .seconds(30), privileged: true)
        let target = resolved.standardOutputText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard resolved.succeeded, target.hasPrefix("/") else {
            throw PluginError(status: .io, field: nil,
                              message: "\(path) is a symlink og-host could not resolve with readlink -f: "
                                  + resolved.standardErrorText.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return target
    }

    private func directiveLine(_ site: DirectiveSite, path: String) -> String {
        site.line.indentation + site.name + " " + quoted(path)
    }

    private func quoted(_ path: String) -> String {
        guard path.contains(where: { $0 == " " || $0 == "\t" || $0 == "\"" || $0 == "'" }) else { return path }
        return "\"" + path.replacing("\"", with: "\\\"") + "\""
    }
}

/// Replaces the physical lines of one directive (all of them, when it was
/// continued) or keeps them and appends lines after them.
struct LineEdit {
    let site: DirectiveSite
    /// nil keeps the directive's own lines.
    let lines: [String]?
    var appended: [String] = []

    init(site: DirectiveSite, lines: [String]?, appended: [String] = []) {
        self.site = site
        self.lines = lines
        self.appended = appended
    }

    static func apply(_ edits: [LineEdit], to bytes: [UInt8]) -> [UInt8] {
        var physical = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
        for edit in edits.sorted(by: { $0.site.line.line > $1.site.line.line }) {
            let start = edit.site.line.line - 1
            let end = min(start + edit.site.line.lineCount, physical.count)
            let carriageReturn = physical[start].hasSuffix("\r") ? "\r" : ""
            let kept = edit.lines.map { $0.map { $0 + carriageReturn } } ?? Array(physical[start..<end])
            physical.replaceSubrange(start..<end, with: kept + edit.appended.map { $0 + carriageReturn })
        }
        return Array(physical.joined(separator: "\n").utf8)
    }
}
