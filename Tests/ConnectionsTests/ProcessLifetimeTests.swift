import Foundation
import OGBasics
import OGConnections
import OGTestSupport
import Testing

/// The one process runner's promises (ProcessRunner, og_plugin.h run_command):
/// the direct child's exit ends a command, children inherit nothing but
/// 0-2, timeouts kill what the command started, and output is bounded.
struct ProcessLifetimeTests {
    /// A command that backgrounds a process holding its stdout and stderr
    /// returns with its own status and output. The timeout is far shorter
    /// than the background process lives, so a runner that waited for the
    /// pipes to close would fail this with a timeout instead.
    @Test(arguments: Endpoint.allCases)
    func commandThatLeavesAProcessBehindReturnsWhenItExits(_ endpoint: Endpoint) throws {
        let workspace = try Workspace.open(endpoint)
        let started = ContinuousClock.now
        let result = try workspace.connection.run(
            ["sh", "-c", "echo before; echo err >&2; sleep 300 & echo $!; exit 4"], timeout: .seconds(60))
        print("\(endpoint): daemonizing command returned after \(ContinuousClock.now - started)")
        let lines = result.standardOutputText.split(separator: "\n")
        #expect(result.exitStatus == 4)
        #expect(lines.first == "before")
        #expect(result.standardErrorText == "err\n")
        let pid = try #require(lines.count == 2 ? String(lines[1]) : nil, "output was \(result.standardOutputText)")
        // The left-behind process still runs; the command returned without waiting for it.
        #expect(try workspace.connection.run(["kill", "-0", pid]).exitStatus == 0)
        _ = try workspace.connection.run(["kill", pid])
        // The connection is still usable afterwards.
        #expect(try workspace.connection.run(["echo", "next"]).standardOutputText == "next\n")
    }

    /// Descriptors og-host holds open (here one opened without O_CLOEXEC, the
    /// way a careless library would) never reach a child.
    @Test func childInheritsOnlyStandardDescriptors() throws {
        let held = open("/dev/null", O_RDONLY)
        #expect(held > 2)
        defer { close(held) }
        let result = try ProcessRunner.run("/bin/sh", ["-c", "ls /proc/$$/fd"])
        #expect(result.exitStatus == 0)
        let descriptors = Set(result.standardOutputText.split(separator: "\n").map(String.init))
        #expect(descriptors == ["0", "1", "2"], "the child held \(descriptors.sorted())")
    }

    /// A timeout kills the command and everything in its process group, and
    /// says so; nothing it started keeps running.
    @Test func timeoutKillsTheCommandAndWhatItStarted() throws {
        let directory = try TemporaryDirectory("og-runner")
        let pidFile = directory.file("child.pid")
        let result = try ProcessRunner.run("/bin/sh", ["-c", "sleep 300 & echo $! > \"$1\"; wait", "sh", pidFile],
                                           timeout: .milliseconds(500))
        #expect(result.timedOut)
        #expect(result.exitStatus == -1)
        let pid = try #require(pid_t((try String(contentsOfFile: pidFile, encoding: .utf8))
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        // SIGKILL is delivered at once, but the zombie is reaped by init; give that a moment.
        var gone = false
        for _ in 0..<200 where !gone {
            gone = kill(pid, 0) != 0 || processIsZombie(pid)
            if !gone { usleep(10_000) }
        }
        #expect(gone, "the background sleep \(pid) survived the timeout")
    }

    @Test func outputBeyondTheLimitStopsTheCommand() throws {
        #expect(throws: BasicsError.outputTooLarge("head", limit: 100_000)) {
            _ = try ProcessRunner.run("head", ["-c", "1000000", "/dev/zero"], outputLimit: 100_000)
        }
        let within = try ProcessRunner.run("head", ["-c", "100000", "/dev/zero"], outputLimit: 100_000)
        #expect(within.standardOutput.count == 100_000)
    }

    @Test func signalledCommandReportsMinusOneAndInputIsFedWhileOutputFlows() throws {
        #expect(try ProcessRunner.run("/bin/sh", ["-c", "kill -9 $$"]).exitStatus == -1)
        // More input and output than a pipe holds, at once: neither side may block the other.
        let input = [UInt8](repeating: 0x61, count: 3 << 20)
        let echoed = try ProcessRunner.run("cat", [], standardInput: input)
        #expect(echoed.standardOutput == input)
    }

    @Test func workingDirectoryAndEnvironmentReachTheChild() throws {
        let directory = try TemporaryDirectory("og-runner")
        let result = try ProcessRunner.run("/bin/sh", ["-c", "pwd; echo \"$OG_TEST_VALUE\""],
                                           environment: ["OG_TEST_VALUE": "seen", "PATH": "/usr/bin:/bin"],
                                           workingDirectory: directory.path)
        let resolved = URL(fileURLWithPath: directory.path).resolvingSymlinksInPath().path
        #expect(result.standardOutputText == "\(resolved)\nseen\n" || result.standardOutputText == "\(directory.path)\nseen\n")
    }

    private func processIsZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
    }
}
