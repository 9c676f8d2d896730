import OGPlugins

/// How one job activates several nodes without reloading the server once per
/// node. The ABI's `activate` takes the install being activated, because some
/// activations are per node (Tomcat's JMX reload of one connector, a keystore
/// endpoint's install script given the alias), while most reload the whole
/// server (`nginx -s reload`, `apachectl -k graceful`, a Tomcat restart).
/// The host cannot tell which from outside, so it calls `activate` for every
/// node and answers a later node's commands from the record of an earlier
/// node's activation while they are the same commands in the same order
/// (argv, standard input, privilege): a plugin asking for exactly what it
/// asked for a moment ago, after nothing changed in between, is repeating the
/// same reload, so it gets the same answers and nothing runs twice. A file
/// write is a step too (Tomcat marks in a file that it restarted): the same
/// bytes to the same path at the same step are not written again. The first
/// command or write that differs (or any HTTP request) ends the replay for
/// that node, and from there its activation runs for real.
final class ActivationReplay {
    /// A command, or a file write (`isWrite`: argv = path and mode, standardInput = the contents).
    struct Command: Hashable {
        var argv: [String]
        var standardInput: [UInt8]
        var privileged: Bool
        var isWrite = false
    }

    private var recorded: [[(command: Command, output: CommandOutput)]] = []
    private var current: [(command: Command, output: CommandOutput)] = []
    /// Earlier activations whose commands the current one has matched so far.
    private var candidates: [Int] = []
    /// Commands answered from the record, over every node.
    private(set) var replayed = 0

    /// A node's activation starts.
    func begin() {
        current = []
        candidates = Array(recorded.indices)
    }

    /// A node's activation ended: its commands may answer the next node's.
    func end() {
        recorded.append(current)
        current = []
    }

    /// The earlier answer to `command` when the activation so far repeats an earlier one; nil = run it.
    func answer(_ command: Command) -> CommandOutput? {
        let step = current.count
        candidates = candidates.filter { step < recorded[$0].count && recorded[$0][step].command == command }
        guard let first = candidates.first else { return nil }
        let output = recorded[first][step].output
        current.append((command, output))
        replayed += 1
        return output
    }

    /// A command that ran for real.
    func record(_ command: Command, _ output: CommandOutput) {
        candidates = []
        current.append((command, output))
    }

    /// Something other than a command (an HTTP request): the activation no longer repeats an earlier one.
    func diverge() {
        candidates = []
    }
}
