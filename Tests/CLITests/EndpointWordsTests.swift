import OGHost
import Testing
@testable import OGHostCLI

/// The CLI's reader of `tls add <type>` / `tls update <endpoint>` words
/// (`EndpointWords`): it turns options into the field values the library
/// validates (`EndpointFields`), and refuses only what is not option syntax.
@Suite struct EndpointWordsTests {
    private func pairs(_ words: [String]) throws -> [String] {
        try EndpointWords(words).pairs.map { "\($0.field)=\($0.value)" }
    }

    private func refusal(_ words: [String]) -> String? {
        do {
            _ = try EndpointWords(words)
            return nil
        } catch {
            return GatewayError.classify(error).message(fieldName: optionSpelling)
        }
    }

    @Test func spacedAndEqualsFormsKeepTheirOrder() throws {
        #expect(try pairs(["--name", "web", "--port=2222", "--path", "/a b", "--empty="])
                == ["name=web", "port=2222", "path=/a b", "empty="])
        // A value may start with one dash (a secret read from standard input) or be `--` alone.
        #expect(try pairs(["--password", "-", "--x", "--"]) == ["password=-", "x=--"])
        #expect(try EndpointWords([]).pairs.isEmpty)
    }

    @Test func helpAloneIsARequestForHelp() throws {
        #expect(try EndpointWords(["--help"]).wantsHelp)
        #expect(try EndpointWords(["--name", "a", "-h"]).wantsHelp)
        // An option left without value next to a help request is part of the help request.
        #expect(try EndpointWords(["--name", "--port", "22", "--help"]).wantsHelp)
        #expect(try !EndpointWords(["--name", "a"]).wantsHelp)
    }

    @Test func helpWhereAValueBelongsIsAMissingValue() {
        #expect(refusal(["--name", "--help"])?.hasPrefix("--name: needs a value, and --help is not one") == true)
        #expect(refusal(["--name", "-h"])?.hasPrefix("--name: needs a value, and -h is not one") == true)
    }

    @Test func missingValuesAndStrayWordsAreRefused() {
        #expect(refusal(["--name"]) == "--name: needs a value")
        #expect(refusal(["--name", "--port", "22"]) == "--name: needs a value")
        #expect(refusal(["stray"]) == "unexpected argument 'stray': options are spelled --option value")
        #expect(refusal(["--"]) == "unexpected argument '--': options are spelled --option value")
        #expect(refusal(["-n", "x"]) == "unexpected argument '-n': options are spelled --option value")
    }

    /// A field given twice is the library's rule; the CLI renders its field as an option.
    @Test func aFieldGivenTwiceIsRefusedByTheLibrary() throws {
        let words = try EndpointWords(["--name", "a", "--name=b"])
        #expect(words.pairs.count == 2)
        do {
            _ = try EndpointFields(words.fields)
            Issue.record("a repeated field was accepted")
        } catch {
            #expect(GatewayError.classify(error).message(fieldName: optionSpelling) == "--name: is given more than once; give it once")
            #expect(GatewayError.classify(error).category == .badInput)
        }
        let fields = try EndpointFields(EndpointWords(["--port", "22", "--name", "a"]).fields)
        #expect(fields.order == ["port", "name"] && fields["name"] == "a" && fields["port"] == "22")
    }
}
