import OGPluginKit

/// An operator's script on the endpoint (--install_script, --restart_script),
/// run through the host with its arguments as separate argv entries, never
/// as a shell string.
struct EndpointScript {
    /// The most of a failing script's output that goes into the error message.
    static let outputLimit = 2048
    /// Scripts restart services, which can take a while; the host's default is shorter.
    static let timeout: Duration = .seconds(300)

    let path: String
    /// The option that configured it, named in every message.
    let option: String
    let target: KeystoreEndpoint

    /// Runs the script; a non-zero exit throws `.commandFailed` carrying the
    /// end of its error output (standard output when that is empty).
    func run(arguments: [String], host: HostServices) throws {
        // Operators' scripts restart services: a privileged step (through sudo where configured).
        let result = try host.run(argv(arguments), timeout: Self.timeout, privileged: true)
        let shownCall = ([path] + arguments.map { "'\($0)'" }).joined(separator: " ")
        guard result.succeeded else {
            let exit = result.exitStatus < 0 ? "was killed by a signal" : "exited with status \(result.exitStatus)"
            throw PluginError(status: .commandFailed, field: option,
                              message: "\(shownCall) \(exit): \(shownOutput(result))")
        }
        host.log(.info, "\(option): \(shownCall) succeeded")
    }

    /// `.ps1` scripts need PowerShell to start them; everything else runs directly.
    private func argv(_ arguments: [String]) -> [String] {
        if target.platform == .windows && path.lowercased().hasSuffix(".ps1") {
            return ["powershell.exe", "-NoProfile", "-NonInteractive", "-File", path] + arguments
        }
        return [path] + arguments
    }

    /// The end of the output (errors usually come last), trimmed to
    /// `outputLimit` bytes, with the store password blanked out in case the
    /// script echoed it.
    private func shownOutput(_ result: CommandResult) -> String {
        var text = result.standardErrorText.trimmingBlanks()
        if text.isEmpty { text = result.standardOutputText.trimmingBlanks() }
        if text.isEmpty { return "(no output)" }
        if let password = target.storePassword, !password.isEmpty {
            text = text.replacingEvery(password, with: "(hidden)")
        }
        let bytes = Array(text.utf8)
        guard bytes.count > Self.outputLimit else { return text }
        var tail = bytes.suffix(Self.outputLimit)
        // Start on a character boundary: skip UTF-8 continuation bytes.
        while let first = tail.first, first & 0xC0 == 0x80 { tail = tail.dropFirst() }
        return "…" + String(decoding: tail, as: UTF8.self)
    }
}

extension String {
    func trimmingBlanks() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }

    /// Every occurrence of `target` replaced, without Foundation (the plugin does not link it).
    func replacingEvery(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
