import Foundation
import OGBasics
import OGConnections
@testable import OGHost
import OGPlugins
import OGTestSupport
import Testing

/// A plugin slot whose command leaves a process behind (`sh -c 'sleep 120 &'`,
/// the shape of `haproxy -D`) must come back with the command's own status and
/// output, through the real host-services table, EndpointSession and
/// LocalConnection, with `timeout_ms = 0`. Were the host to wait for the
/// background process, the command would run into the 120 s default timeout
/// and the slot would fail with OG_ERR_TIMEOUT.
@Suite struct CommandLifetimeTests {
    @Test func slotWhoseCommandLeavesAProcessBehindReturnsWithTheCommandsResult() throws {
        let directory = try TemporaryDirectory("og-daemonizes")
        let library = try PluginLibrary.load(try ConformanceFixtures.compile("daemonizes", into: directory.path))
        let endpoint = EndpointConfig(type: "fixture_store", name: "left-behind", connectionType: .local, host: "", port: 0,
                                      options: [("store_dir", directory.path)])
        let session = EndpointSession(connection: LocalConnection(), endpoint: endpoint, secretOptions: [:])
        defer { stopLeftBehind(in: directory) }

        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpuBefore = usage.ru_utime.tv_sec * 1_000_000 + Int(usage.ru_utime.tv_usec)
            + usage.ru_stime.tv_sec * 1_000_000 + Int(usage.ru_stime.tv_usec)
        let started = ContinuousClock.now
        try library.activate(endpoint, request: nil, services: session)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpuAfter = usage.ru_utime.tv_sec * 1_000_000 + Int(usage.ru_utime.tv_usec)
            + usage.ru_stime.tv_sec * 1_000_000 + Int(usage.ru_stime.tv_usec)
        // Reported, not asserted (tests never assert wall-clock times).
        print("daemonizing command returned after \(ContinuousClock.now - started), process CPU \(cpuAfter - cpuBefore) µs")

        // The background process is still alive: the host returned without waiting for it or killing it.
        let pid = try #require(leftBehindPID(in: directory))
        #expect(kill(pid, 0) == 0)
        #expect(session.commandLog.last?.hasSuffix("-> exit 3") == true)
    }

    private func leftBehindPID(in directory: TemporaryDirectory) -> pid_t? {
        (try? String(contentsOfFile: directory.file("left-behind.pid"), encoding: .utf8))
            .flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    private func stopLeftBehind(in directory: TemporaryDirectory) {
        if let pid = leftBehindPID(in: directory) { kill(pid, SIGKILL) }
    }
}
