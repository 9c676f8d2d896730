import ArgumentParser
import Dispatch
import Foundation
import OGBasics
import OGHost

// og-host's command line: argument parsing and printing only; everything it does lives in OGHost.
//
// This is a shared library, libog-host-cli.so. The og-host executable (Host/Front) answers
// `plugins list` itself, without Foundation, and loads this library with dlopen for every other
// command, calling og_host_cli_main(); see "The executable and its command library" in
// docs/ARCHITECTURE.md for why.
//
// --data-dir and --plugins-dir are accepted anywhere (before a `--`) and
// become OG_DATA_DIR / OG_PLUGIN_PATH, so every subcommand — and every child
// og-host it starts — resolves state and plugins the same way.

/// Runs the command named by this process's arguments (CommandLine.arguments) and exits;
/// never returns.
@_cdecl("og_host_cli_main")
public func commandLineMain() {
    // Closed standard streams (`og-host 2>&-`) become /dev/null before anything opens a file that could take their number.
    StandardStreams.keepOpen()
    // A plugin that crashes, calls exit() or hangs in a slot ends og-host with a message naming it and the slot.
    PluginSlotWatch.installCrashReporting()

    // Invalid UTF-8 and control characters are refused before anything reads the words.
    do { try ArgumentChecks.refuseUnprintable() } catch { exit(reportError(error)) }

    var words = Array(CommandLine.arguments.dropFirst())
    var pluginDirectories: [String] = []
    var index = 0
    while index < words.count, words[index] != "--" {
        let word = words[index]
        for option in ["--data-dir", "--plugins-dir"] where word == option || word.hasPrefix(option + "=") {
            let value = takeOptionValue(option, at: index, from: &words, needs: "a directory")
            if option == "--data-dir" { setenv("OG_DATA_DIR", value, 1) } else { pluginDirectories.append(value) }
            index -= 1
            break
        }
        index += 1
    }
    if !pluginDirectories.isEmpty { setenv("OG_PLUGIN_PATH", pluginDirectories.joined(separator: ":"), 1) }

    // --verbose, --quiet and --log-format FORMAT, also accepted anywhere, become
    // OG_LOG_LEVEL / OG_LOG_FORMAT for this og-host and its children; logs go to
    // standard error, one line per record.
    index = 0
    while index < words.count, words[index] != "--" {
        let word = words[index]
        if word == "--verbose" || word == "--quiet" {
            setenv("OG_LOG_LEVEL", word == "--verbose" ? "debug" : "error", 1)
            words.remove(at: index)
        } else if word == "--log-format" || word.hasPrefix("--log-format=") {
            let value = takeOptionValue("--log-format", at: index, from: &words, needs: "text or json")
            setenv("OG_LOG_FORMAT", value, 1)
        } else {
            index += 1
        }
    }
    // The daemon's log is its only voice: informational lines unless asked otherwise.
    if words.first == "serve", EnvironmentVariable.value("OG_LOG_LEVEL") == nil {
        setenv("OG_LOG_LEVEL", "info", 1)
    }
    do {
        GatewayLogging.bootstrap(try LogSettings.from(environment: .process))
    } catch {
        exit(reportError(error))
    }

    // `tls add <type>` takes options that only the plugin's schema defines, so it
    // is parsed by the host's own parser rather than the static command tree.
    if words.count >= 2, words[0] == "tls", words[1] == "add" {
        exit(TLSAdd.run(Array(words.dropFirst(2))))
    }
    if words.count >= 2, words[0] == "tls", words[1] == "update" {
        exit(TLSUpdate.run(Array(words.dropFirst(2))))
    }

    // Parsed and run here rather than by ArgumentParser's main() so that usage
    // errors exit 2 like every other bad input (ArgumentParser uses 64).
    do {
        try ArgumentChecks.refuseHelpAsValue(words)
        try ArgumentChecks.refuseRepeatedOptions(words)
    } catch {
        exit(reportError(error))
    }
    // The command runs on the main actor, the way top-level code in an executable's main.swift would.
    let commandWords = words
    Task { @MainActor in
        do {
            // A job's child is started by og-host itself with exactly `job run` (EndpointJobLauncher) and
            // takes no options, so those two words go straight to their command: argument-parser's parse
            // would cost ~14 M instructions (reflection over the command tree, its completion-script
            // check), a sixth of what a child costs before its job starts. Any other words — `job run
            // --help`, a typo — are parsed as usual. The same for `job worker`, which the launcher starts with
            // exactly those two words and its bounds in the environment (JobCommand.Worker.runFromEnvironment).
            // Both run directly, without runParsed's cast to AsyncParsableCommand (a conformance look-up, ~0.6 M).
            if commandWords == ["job", "run"] {
                try await JobCommand.Run().run()
                exit(0)
            }
            if commandWords == ["job", "worker"] {
                try await JobCommand.Worker.runFromEnvironment()
                exit(0)
            }
            let command = try parseCommand(commandWords)
            try await runParsed(command)
            exit(0)
        } catch {
            let code = OGHostCommand.exitCode(for: error)
            let text = OGHostCommand.fullMessage(for: error)
            if code == .success {
                // --help and --version.
                if !text.isEmpty { printLine(text) }
                exit(0)
            }
            if !(error is ExitCode), !text.isEmpty {
                StandardStreams.error(text + "\n")
            }
            exit(code == .validationFailure ? GatewayError.Category.badInput.exitCode : code.rawValue)
        }
    }
    dispatchMain()
}

/// The value of the global option `option` at `words[index]`, given as `OPTION VALUE` or
/// `OPTION=VALUE`, taken out of `words`; a bare option with nothing after it is a usage error
/// ("error: OPTION: needs WHAT", exit 2), as argument-parser reports one.
func takeOptionValue(_ option: String, at index: Int, from words: inout [String], needs what: String) -> String {
    let word = words[index]
    guard word == option else {
        words.remove(at: index)
        return String(word.dropFirst(option.count + 1))
    }
    guard index + 1 < words.count else {
        StandardStreams.error("error: \(option): needs \(what)\n")
        exit(2)
    }
    let value = words[index + 1]
    words.removeSubrange(index...(index + 1))
    return value
}

/// Runs a parsed command; the ones whose jobs wait (install, restart, recover,
/// job run) are async and awaited (in an async function, so that `run()`
/// resolves to their async requirement).
func runParsed(_ command: ParsableCommand) async throws {
    if var waiting = command as? AsyncParsableCommand {
        try await waiting.run()
    } else {
        var command = command
        try command.run()
    }
}

/// The command `words` name, parsed by argument-parser. Words that name a command without
/// subcommands (`tls install ...`) are first parsed with that command as the root: the same
/// command type, the same options, but argument-parser then reflects over that one command only
/// instead of walking the whole tree (`tls install`: 18.4 M -> 14.2 M instructions, most of it the
/// Swift runtime's first conformance look-ups). Only a value of exactly that command is taken
/// from it; anything else (a usage error, --help, --version, a completion-script request) is
/// parsed again from the root, so every message, help text and exit code is the full tree's.
func parseCommand(_ words: [String]) throws -> ParsableCommand {
    var leaf: ParsableCommand.Type = OGHostCommand.self
    var named = 0
    while named < words.count,
          let next = leaf.configuration.subcommands.first(where: { $0.configuration.commandName == words[named] }) {
        leaf = next
        named += 1
    }
    if named > 0, leaf.configuration.subcommands.isEmpty,
       let parsed = try? leaf.parseAsRoot(Array(words[named...])),
       ObjectIdentifier(type(of: parsed)) == ObjectIdentifier(leaf) {
        return parsed
    }
    return try OGHostCommand.parseAsRoot(words)
}
