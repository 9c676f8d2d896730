import ArgumentParser
import Foundation
import OGHost

/// Checks on the raw command line that the argument parser does not make.
/// Each failure is a usage error (exit 2) naming the option it concerns.
enum ArgumentChecks {
    /// Every argument must be valid UTF-8 without control characters: Swift
    /// would otherwise turn invalid bytes into U+FFFD and a name would be
    /// stored as something the operator never typed; a control character in
    /// a name or path ends up in tables, logs and configuration files.
    /// Secrets do not pass through argv (env:, file:, standard input).
    static func refuseUnprintable() throws {
        var previous: String?
        for index in 1..<Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[index] else { continue }
            guard let argument = String(validatingCString: pointer) else {
                let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self),
                                                      count: strlen(pointer)))
                let offset = firstInvalidUTF8(bytes)
                throw GatewayError.badInput("\(field(of: String(decoding: bytes, as: UTF8.self), index: index, previous: previous)): "
                    + "is not valid UTF-8 (byte 0x\(String(format: "%02X", bytes[offset])) at offset \(offset)); give text in UTF-8")
            }
            if let control = argument.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
                throw GatewayError.badInput("\(field(of: argument, index: index, previous: previous)): contains a control "
                    + "character (U+\(String(format: "%04X", control.value))); names, paths and option values must be "
                    + "printable text")
            }
            previous = argument
        }
    }

    /// How to name where a bad argument was given: `--opt` for `--opt=value` or
    /// the word after `--opt`, else its position.
    static func field(of argument: String, index: Int, previous: String?) -> String {
        if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
            return sanitized(String(argument[..<equals]))
        }
        if argument.hasPrefix("-"), argument != "-" { return "option \(index) (an option name)" }
        if let previous, previous.hasPrefix("-"), previous != "--", previous != "-", !previous.contains("=") {
            return sanitized(previous)
        }
        return "argument \(index)"
    }

    private static func sanitized(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : Character($0) })
    }

    private static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int {
        var offset = 0
        while offset < bytes.count {
            let lead = bytes[offset]
            let length = lead < 0x80 ? 1 : lead >> 5 == 0b110 ? 2 : lead >> 4 == 0b1110 ? 3 : lead >> 3 == 0b11110 ? 4 : 0
            guard length > 0, offset + length <= bytes.count,
                  String(validating: bytes[offset..<(offset + length)], as: UTF8.self) != nil else { return offset }
            offset += length
        }
        return max(0, bytes.count - 1)
    }

    /// `--opt --help` where `--opt` needs a value: the argument parser shows
    /// help and exits 0, so a script that meant to pass the text "--help"
    /// (or forgot a value) thinks it succeeded. Refused as a missing value.
    static func refuseHelpAsValue(_ words: [String]) throws {
        guard let helpIndex = words.firstIndex(where: { $0 == "--help" || $0 == "-h" }), helpIndex > 0,
              words[..<helpIndex].contains("--") == false else { return }
        let option = words[helpIndex - 1]
        guard option.hasPrefix("--"), !option.contains("="), option != "--" else { return }
        var without = words
        without.remove(at: helpIndex)
        do {
            _ = try OGHostCommand.parseAsRoot(without)
        } catch {
            let message = OGHostCommand.message(for: error)
            if message.contains("Missing value for '\(option)") || message.contains("Missing value for '\(option) ") {
                throw GatewayError.badInput("\(option): needs a value, and \(words[helpIndex]) is not one (put --help on "
                                            + "its own to see the command's help)")
            }
        }
    }

    /// A single-valued option given twice: the argument parser keeps the last
    /// value without a word, so `--name a ... --name b` would act on b while the
    /// operator may have meant a. Options that take several values (arrays) are
    /// fine. The command tree comes from the parser's own description of itself,
    /// asked for only when an option repeats.
    static func refuseRepeatedOptions(_ words: [String]) throws {
        var seen: [String: [String]] = [:]
        var index = 0
        while index < words.count, words[index] != "--" {
            let word = words[index]
            if word.hasPrefix("--"), word.count > 2 {
                let name = String(word.dropFirst(2).prefix { $0 != "=" })
                let value = word.contains("=") ? String(word.drop { $0 != "=" }.dropFirst())
                    : (index + 1 < words.count ? words[index + 1] : "")
                seen[name, default: []].append(value)
            }
            index += 1
        }
        let repeated = seen.filter { $0.value.count > 1 }
        guard !repeated.isEmpty, let command = commandInfo(words) else { return }
        let arguments = (command["arguments"] as? [[String: Any]]) ?? []
        for (name, values) in repeated.sorted(by: { $0.key < $1.key }) {
            guard let argument = arguments.first(where: { argument in
                ((argument["names"] as? [[String: Any]]) ?? []).contains {
                    ($0["kind"] as? String) == "long" && ($0["name"] as? String) == name
                }
            }) else { continue }
            guard (argument["kind"] as? String) == "option", (argument["isRepeating"] as? Bool) != true else { continue }
            let shown = values.map { "'\(sanitized($0))'" }.joined(separator: ", ")
            throw GatewayError.badInput("--\(name): given \(values.count) times (\(shown)); it takes one value, give it once")
        }
    }

    /// The parser's JSON description (argument-parser's tool info) of the command the words name, found by
    /// following command names from the root; nil under `help`, whose own arguments take none of these options.
    /// Only that command is described: the whole tree's description and its JSON cost ~130 M instructions, most
    /// of a command's run, whenever an option was given twice.
    private static func commandInfo(_ words: [String]) -> [String: Any]? {
        var command: ParsableCommand.Type = OGHostCommand.self
        for word in words where !word.hasPrefix("-") {
            let subcommands = command.configuration.subcommands
            if word == "help", !subcommands.isEmpty { return nil }
            if let subcommand = subcommands.first(where: { $0.configuration.commandName == word }) { command = subcommand }
        }
        do {
            _ = try command.parseAsRoot(["--experimental-dump-help"])
        } catch {
            let json = command.fullMessage(for: error)
            guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
            return object["command"] as? [String: Any]
        }
        return nil
    }
}
