import OGPluginKit

/// Remembers, in CATALINA_BASE/temp, whether an install restarted Tomcat.
///
/// The host re-activates after every rollback, but when the config test
/// refused the install Tomcat was never restarted and still runs the restored
/// configuration; restarting it then could only hurt (a connector that was
/// already broken on disk would go down). The config test marks the install
/// as not restarted, activation marks it restarted, and a re-activation
/// restarts only in that case.
struct ActivationMarker {
    let target: TomcatEndpoint
    let host: HostServices

    private static let restarted = Array("restarted\n".utf8)
    private static let idle = Array("idle\n".utf8)

    var path: String { target.base + "/temp/og-host-activation" }

    func markIdle() {
        write(Self.idle)
    }

    func markRestarted() {
        write(Self.restarted)
    }

    /// True unless the marker says the last install did not restart Tomcat;
    /// an unreadable marker restarts, which is always safe for the files.
    func needsRestartAfterRollback() -> Bool {
        guard let contents = try? host.readFile(path) else { return true }
        return contents != Self.idle
    }

    private func write(_ contents: [UInt8]) {
        do {
            try host.writeFile(path, contents: contents, mode: 0o644)
        } catch {
            host.log(.warning, "could not write \(path) (\(error)); a rollback will restart Tomcat")
        }
    }
}
