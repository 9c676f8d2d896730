/// What a run reports as it goes; the child mode forwards each event to its parent at once.
enum SuiteEvent {
    case pluginName(String)
    case start(id: String)
    case note(id: String, text: String)
    case end(ConformanceCheck)
}

/// A check definition and the code that decides it.
struct SuiteCheck: Sendable {
    let definition: ConformanceCheckDefinition
    let run: @Sendable (SuiteRun) -> ConformanceCheck

    init(_ id: String, _ summary: String, dependsOn: [String], run: @escaping @Sendable (SuiteRun) -> ConformanceCheck) {
        definition = ConformanceCheckDefinition(id: id, summary: summary, dependsOn: dependsOn)
        self.run = run
    }
}

/// One pass over the suite in this process.
final class SuiteRun {
    let plugin: PluginUnderTest
    /// The author's endpoint for the valid-input checks of its type, if given.
    let fixture: FixtureEndpoint?
    private let emit: (SuiteEvent) -> Void
    private var current: String?
    private var announcedName = false

    init(plugin: PluginUnderTest, fixture: FixtureEndpoint? = nil, emit: @escaping (SuiteEvent) -> Void) {
        self.plugin = plugin
        self.fixture = fixture
        self.emit = emit
    }

    /// Runs every check not in `skipping`, in catalog order.
    func execute(skipping: Set<String>) -> [ConformanceCheck] {
        var verdicts: [ConformanceCheck] = []
        for check in ConformanceSuite.checks where !skipping.contains(check.definition.id) {
            current = check.definition.id
            emit(.start(id: check.definition.id))
            let verdict = check.run(self)
            emit(.end(verdict))
            verdicts.append(verdict)
        }
        current = nil
        return verdicts
    }

    /// Progress inside the running check, so a crash can be pinned to the input that caused it.
    func note(_ text: String) {
        if let current { emit(.note(id: current, text: text)) }
    }

    func announce(name: String) {
        guard !announcedName else { return }
        announcedName = true
        emit(.pluginName(name))
    }
}
