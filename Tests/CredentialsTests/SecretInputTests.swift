import Foundation
import OGCredentials
import Testing

@Suite struct SecretInputTests {
    private func lines(_ values: [String]) -> () -> [UInt8]? {
        let queue = LineQueue(values)
        return { queue.next() }
    }

    @Test func dashReadsOneLineFromStandardInputPerOption() throws {
        let input = lines(["first\r", "second"])
        let password = try SecretInput.read(option: "--password", value: "-", standardInputLine: input)
        let passphrase = try SecretInput.read(option: "--key-passphrase", value: "-", standardInputLine: input)
        #expect(password?.exposedString() == "first")
        #expect(passphrase?.exposedString() == "second")
    }

    @Test func dashAtEndOfInputNamesTheOption() {
        let error = #expect(throws: CredentialsError.self) {
            try SecretInput.read(option: "--password", value: "-", standardInputLine: { nil })
        }
        #expect(error?.description.hasPrefix("--password: standard input ended") == true)
    }

    @Test func envPrefixReadsTheNamedVariable() throws {
        let secret = try SecretInput.read(option: "--password", value: "env:NGINX_PASS",
                                          environment: ["NGINX_PASS": "from-env"])
        #expect(secret?.exposedString() == "from-env")
    }

    @Test func unsetVariableIsNamedWithoutGuessingItsValue() {
        let error = #expect(throws: CredentialsError.self) {
            try SecretInput.read(option: "--password", value: "env:MISSING", environment: [:])
        }
        #expect(error?.description == "--password: environment variable MISSING is not set; "
                + "export it, or give - to read standard input")
    }

    @Test func absentOptionFallsBackToTheFirstSetVariable() throws {
        let secret = try SecretInput.read(option: "--password", value: nil,
                                          environmentVariables: ["OG_SSH_PASSWORD", "OG_PASSWORD"],
                                          environment: ["OG_PASSWORD": "fallback"])
        #expect(secret?.exposedString() == "fallback")
        #expect(try SecretInput.read(option: "--password", value: nil, environmentVariables: ["OG_PASSWORD"],
                                     environment: [:]) == nil)
    }

    @Test func literalValueIsTheSecretAndEmptyIsRefused() throws {
        #expect(try SecretInput.read(option: "--password", value: "inline")?.exposedString() == "inline")
        let error = #expect(throws: CredentialsError.self) {
            try SecretInput.read(option: "--password", value: "-", standardInputLine: { [] })
        }
        #expect(error?.description.contains("is empty") == true)
    }
}

private final class LineQueue: @unchecked Sendable {
    // Only touched from the test's own thread; the class exists to let a closure consume lines.
    private var remaining: [String]
    init(_ lines: [String]) { remaining = lines }
    func next() -> [UInt8]? { remaining.isEmpty ? nil : Array(remaining.removeFirst().utf8) }
}
