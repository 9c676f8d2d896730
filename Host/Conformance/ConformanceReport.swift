import Foundation

/// The verdicts of one conformance run against one plugin library.
public struct ConformanceReport: Codable, Sendable, Equatable {
    public var pluginPath: String
    /// The name the descriptor declares, when describe() could be read.
    public var pluginName: String?
    /// In suite order; checks the runner adds (a child that could not run) come last.
    public var checks: [ConformanceCheck]

    public init(pluginPath: String, pluginName: String?, checks: [ConformanceCheck]) {
        self.pluginPath = pluginPath
        self.pluginName = pluginName
        self.checks = checks
    }

    public var passed: Int { checks.count { $0.outcome == .pass } }
    public var failed: Int { checks.count { $0.outcome == .fail } }
    public var skipped: Int { checks.count { $0.outcome == .skip } }
    /// True when no check failed (skips are capability-gated, not defects).
    public var isSuccess: Bool { failed == 0 && !checks.isEmpty }

    public func check(_ id: String) -> ConformanceCheck? { checks.first { $0.id == id } }

    /// One line per check, `PASS id — detail`, then a summary line; newline-terminated, ready to print.
    public var text: String {
        var lines = checks.map { check in
            let label: String
            switch check.outcome {
            case .pass: label = "PASS"
            case .fail: label = "FAIL"
            case .skip: label = "SKIP"
            }
            return "\(label) \(check.id) — \(check.detail)"
        }
        let subject = pluginName.map { "\($0) (\(pluginPath))" } ?? pluginPath
        lines.append("\(subject): \(passed) passed, \(failed) failed, \(skipped) skipped")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The report as JSON with snake_case keys (the spelling of og-host's other JSON files).
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Reads what `json` wrote.
    public static func decode(json: [UInt8]) throws -> ConformanceReport {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(ConformanceReport.self, from: Data(json))
    }

    private enum CodingKeys: String, CodingKey {
        case pluginPath, pluginName, checks, passed, failed, skipped, isSuccess
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        pluginPath = try container.decode(String.self, forKey: .pluginPath)
        pluginName = try container.decodeIfPresent(String.self, forKey: .pluginName)
        checks = try container.decode([ConformanceCheck].self, forKey: .checks)
    }

    /// Encodes the counts too, so a CI script can read them without counting.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pluginPath, forKey: .pluginPath)
        try container.encodeIfPresent(pluginName, forKey: .pluginName)
        try container.encode(checks, forKey: .checks)
        try container.encode(passed, forKey: .passed)
        try container.encode(failed, forKey: .failed)
        try container.encode(skipped, forKey: .skipped)
        try container.encode(isSuccess, forKey: .isSuccess)
    }
}
