import ArgumentParser
import OGHost
import Testing
@testable import OGHostCLI

/// `parseCommand` parses words naming a command without subcommands with that command as
/// argument-parser's root (cheaper: no reflection over the whole tree) and takes only a value of
/// exactly that command from it; everything else comes from the parse of the whole tree. These
/// tests hold it to the whole tree's answer: the same command with the same values, or the same
/// message and exit code.
@Suite struct CommandParseTests {
    /// What argument-parser makes of `words`: the parsed command (its type and every value, as
    /// `dump` writes them) or the message and exit code of its error.
    private func answer(_ parse: () throws -> ParsableCommand) -> String {
        do {
            var text = ""
            dump(try parse(), to: &text)
            return text
        } catch {
            return "error \(OGHostCommand.exitCode(for: error).rawValue): \(OGHostCommand.fullMessage(for: error))"
        }
    }

    private func expectSameAsTheTree(_ words: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let tree = answer { try OGHostCommand.parseAsRoot(words) }
        let fast = answer { try parseCommand(words) }
        #expect(fast == tree, "\(words)", sourceLocation: sourceLocation)
    }

    /// Every command without subcommands, by the words that name it.
    private func leaves(_ type: ParsableCommand.Type = OGHostCommand.self, path: [String] = []) -> [[String]] {
        let subcommands = type.configuration.subcommands
        if subcommands.isEmpty { return path.isEmpty ? [] : [path] }
        return subcommands.flatMap { leaves($0, path: path + [$0.configuration.commandName ?? "?"]) }
    }

    @Test func ordinaryInstallWordsParseAsTheTreeParsesThem() {
        expectSameAsTheTree(["tls", "install", "web", "--cert-id", "site"])
        expectSameAsTheTree(["tls", "install", "a", "b", "--cert", "c.pem", "--key", "k.pem", "--chain", "ca.pem",
                             "--alias", "entry", "--node", "n1", "--node", "n2", "--dry-run", "--wait", "2.5"])
        expectSameAsTheTree(["tls", "install", "--cert-id=site", "web", "--", "--dashed-endpoint"])
        expectSameAsTheTree(["cert", "deploy", "site", "--parallel", "3", "--force"])
        expectSameAsTheTree(["plugins", "list", "--output", "json"])
        expectSameAsTheTree(["tls", "list"])
        expectSameAsTheTree(["job", "worker", "--max-jobs", "7", "--idle-seconds", "1.5"])
        // A command with an option group.
        expectSameAsTheTree(["credstore", "add", "hashicorp", "--storename", "v", "--vaulturl", "https://vault.test:8200"])
    }

    @Test func usageErrorsHelpAndVersionAreTheTreesOwn() {
        expectSameAsTheTree(["tls", "install"])                              // missing endpoint
        expectSameAsTheTree(["tls", "install", "web", "--bogus"])            // unknown option
        expectSameAsTheTree(["tls", "install", "web", "--wait"])             // missing value
        expectSameAsTheTree(["tls", "install", "web", "--wait", "soon"])     // bad value
        expectSameAsTheTree(["tls", "install", "web", "--help"])
        expectSameAsTheTree(["tls", "install", "-h"])
        expectSameAsTheTree(["tls", "install", "web", "--version"])
        expectSameAsTheTree(["tls", "install", "--generate-completion-script", "bash"])
        expectSameAsTheTree(["tls", "install", "--experimental-dump-help"])
        expectSameAsTheTree(["tls", "instal", "web"])                        // a typo in the command
        expectSameAsTheTree(["tls"])
        expectSameAsTheTree(["--version"])
        expectSameAsTheTree(["help", "tls", "install"])
        expectSameAsTheTree([])
    }

    @Test func everyCommandAnswersAsTheTreeDoes() {
        let all = leaves()
        #expect(all.count > 40)
        for words in all {
            for extra in [[], ["--help"], ["--bogus"], ["x", "y", "z"], ["--output", "json"], ["--version"]] {
                expectSameAsTheTree(words + extra)
            }
        }
    }
}

/// `ArgumentChecks.refuseRepeatedOptions` reads which options repeat from argument-parser's
/// description of the one command the words name (not the whole tree's).
@Suite struct RepeatedOptionTests {
    private func refusal(_ words: [String]) -> String? {
        do {
            try ArgumentChecks.refuseRepeatedOptions(words)
            return nil
        } catch {
            return GatewayError.classify(error).message(fieldName: optionSpelling)
        }
    }

    @Test func singleValuedOptionsGivenTwiceAreRefusedInTheCommandTheWordsName() {
        #expect(refusal(["tls", "install", "web", "--alias", "a", "--alias=b"])
                == "--alias: given 2 times ('a', 'b'); it takes one value, give it once")
        #expect(refusal(["credstore", "add", "hashicorp", "--storename", "a", "--storename", "b"])?
                    .hasPrefix("--storename: given 2 times") == true)
        #expect(refusal(["cert", "deploy", "site", "--parallel", "2", "--parallel", "3"])?.hasPrefix("--parallel: given 2 times") == true)
    }

    @Test func optionsThatRepeatAndWordsOutsideACommandPass() {
        #expect(refusal(["tls", "install", "a", "b", "--node", "n1", "--node", "n2", "--cert-id", "site"]) == nil)
        #expect(refusal(["cert", "deploy", "site", "--endpoint", "e1", "--endpoint", "e2"]) == nil)
        // Under `help` nothing is an option of a command.
        #expect(refusal(["help", "tls", "install", "--alias", "a", "--alias", "b"]) == nil)
        // An option no command has is left to the parser's own error.
        #expect(refusal(["tls", "install", "web", "--bogus", "1", "--bogus", "2"]) == nil)
        // A value that spells a command name does not move to that command.
        #expect(refusal(["tls", "install", "list", "--alias", "a", "--alias", "b"])?.hasPrefix("--alias: given 2 times") == true)
    }
}
