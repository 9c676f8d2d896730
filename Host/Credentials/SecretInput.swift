import Foundation
import OGBasics

/// Reads a secret given to a command-line option without it having to appear
/// in argv, where every user on the host can read it with `ps`.
///
/// The option's value decides where the secret comes from:
/// - `-` reads one line from standard input (the line break is dropped; a
///   trailing `\r` too). Several options given `-` read successive lines, in
///   the order the command reads its options.
/// - `env:NAME` reads the environment variable `NAME`.
/// - anything else is the secret itself. That works, but leaks it to `ps` and
///   shell history; prefer the two forms above.
///
/// When the option is absent, the first of `environmentVariables` that is set
/// (for example `OG_PASSWORD`) supplies the secret.
///
///     printf '%s\n' "$PASS" | og-host tls add nginx --password - ...
///     OG_PASSWORD=... og-host tls add nginx ...
///     og-host tls add nginx --password env:NGINX_PASS ...
public enum SecretInput {
    /// - Parameters:
    ///   - option: the option's name as the user typed it, for messages (`--password`).
    ///   - value: the option's value, or nil when the option was not given.
    ///   - environmentVariables: variables consulted, in order, when `value` is nil.
    ///   - standardInputLine: returns the next line of standard input without
    ///     its line break, or nil at end of input.
    /// - Returns: the secret, or nil when neither the option nor any of the
    ///   variables was given.
    public static func read(
        option: String,
        value: String?,
        environmentVariables: [String] = [],
        environment: Environment = .process,
        standardInputLine: () -> [UInt8]? = readStandardInputLine
    ) throws -> Secret? {
        guard let value else {
            for variable in environmentVariables {
                if let secret = environment[variable] {
                    return try nonEmpty(Secret(secret), option: option, source: "environment variable \(variable)")
                }
            }
            return nil
        }
        if value == "-" {
            guard var line = standardInputLine() else {
                throw CredentialsError.secretInput(
                    option: option, problem: "standard input ended before a line was read; pipe the secret in, one line")
            }
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            defer { AESGCM.wipe(&line) }
            return try nonEmpty(Secret(bytes: line), option: option, source: "the line read from standard input")
        }
        if value.hasPrefix("env:") {
            let variable = String(value.dropFirst(4))
            guard !variable.isEmpty else {
                throw CredentialsError.secretInput(option: option,
                                                   problem: "env: names no variable; write env:NAME")
            }
            guard let secret = environment[variable] else {
                throw CredentialsError.secretInput(
                    option: option,
                    problem: "environment variable \(variable) is not set; export it, or give - to read standard input")
            }
            return try nonEmpty(Secret(secret), option: option, source: "environment variable \(variable)")
        }
        return try nonEmpty(Secret(value), option: option, source: "the value")
    }

    /// Reads one line from file descriptor 0 a byte at a time, so nothing past
    /// the line break is consumed and lost to the next reader.
    public static func readStandardInputLine() -> [UInt8]? {
        var line: [UInt8] = []
        // Growing the array would leave unwiped copies of the secret behind.
        line.reserveCapacity(4096)
        var byte: UInt8 = 0
        while true {
            let count = Foundation.read(STDIN_FILENO, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return line.isEmpty ? nil : line }
            if byte == UInt8(ascii: "\n") { return line }
            line.append(byte)
        }
    }

    private static func nonEmpty(_ secret: Secret, option: String, source: String) throws -> Secret {
        guard !secret.isEmpty else {
            throw CredentialsError.secretInput(option: option, problem: "\(source) is empty; give a non-empty secret")
        }
        return secret
    }
}
