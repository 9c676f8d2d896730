import Foundation

/// One line the child writes to its parent, as JSON:
///
///     {"event":"plugin","name":"hello-c"}
///     {"event":"start","id":"abi.current_minor"}
///     {"event":"note","id":"slot.discover_nodes.hostile_input","text":"pem_dir with 1 MiB strings"}
///     {"event":"end","check":{"id":"abi.current_minor","outcome":"pass","detail":"..."}}
///     {"event":"done"}
///
/// A check that has a `start` but no `end` when the child dies is the one that killed it.
struct ChildEvent: Codable, Equatable {
    enum Kind: String, Codable { case plugin, start, note, end, done }
    var event: Kind
    var id: String?
    var name: String?
    var text: String?
    var check: ConformanceCheck?

    init(_ event: SuiteEvent) {
        switch event {
        case .pluginName(let name): self.init(event: .plugin, name: name)
        case .start(let id): self.init(event: .start, id: id)
        case .note(let id, let text): self.init(event: .note, id: id, text: text)
        case .end(let check): self.init(event: .end, id: check.id, check: check)
        }
    }

    init(event: Kind, id: String? = nil, name: String? = nil, text: String? = nil, check: ConformanceCheck? = nil) {
        self.event = event
        self.id = id
        self.name = name
        self.text = text
        self.check = check
    }

    var line: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(self)) ?? Data("{}".utf8)) + [0x0a]
    }

    /// The events in `output`; lines that are not events (a plugin writing to stdout) are ignored.
    static func parse(_ output: [UInt8]) -> [ChildEvent] {
        let decoder = JSONDecoder()
        return output.split(separator: 0x0a).compactMap { try? decoder.decode(ChildEvent.self, from: Data($0)) }
    }
}

/// The child's line to its parent. Standard output is taken over for it, and fd 1
/// is pointed at stderr, so whatever the plugin prints cannot corrupt the protocol.
final class ChildChannel {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    static func takeOverStandardOutput() -> ChildChannel {
        fflush(nil)
        // Close-on-exec: a process the plugin starts must not hold the parent's pipe open.
        let channel = ChildChannel(descriptor: fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3))
        dup2(STDERR_FILENO, STDOUT_FILENO)
        return channel
    }

    /// Writes the whole line with write(2): nothing sits in a buffer if the next check crashes.
    func send(_ event: ChildEvent) {
        let line = event.line
        var offset = 0
        while offset < line.count {
            let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, line.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }

    /// Gives standard output back.
    func close() {
        fflush(nil)
        dup2(descriptor, STDOUT_FILENO)
        Glibc.close(descriptor)
    }
}

extension ConformanceSuite {
    /// The hidden `og-host plugin check --child <path> [--skip id,id]` mode: runs
    /// every check not in `skipping`, writing one JSON line to standard output as
    /// each check starts and ends (see ChildEvent), and `{"event":"done"}` at the
    /// end. A fatal signal is reported on stderr before the process dies of it.
    /// Returns the exit status for the CLI: 0 once the suite has run, whatever its
    /// verdicts (they are in the lines). `skipping` may hold comma-separated lists.
    @discardableResult
    public static func runAsChild(path: String, skipping: some Sequence<String> = [String](), fixture: FixtureEndpoint? = nil) -> Int32 {
        let skipped = Set(skipping.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } })
        CrashReporter.install()
        let channel = ChildChannel.takeOverStandardOutput()
        defer { channel.close() }
        let run = SuiteRun(plugin: PluginUnderTest(path: path, runsInChild: true), fixture: fixture) { channel.send(ChildEvent($0)) }
        _ = run.execute(skipping: skipped)
        channel.send(ChildEvent(event: .done))
        return 0
    }
}
