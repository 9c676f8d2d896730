import Foundation
import Logging
import OGBasics

/// How og-host logs: swift-log throughout, one line per record on standard
/// error (standard output stays the command's result), as text or JSON.
/// Messages never carry secrets: the host logs what it does (steps, commands
/// by argv, which never hold secrets) and what plugins pass to `log`.
public struct LogSettings: Sendable, Equatable {
    public enum Format: String, Sendable { case text, json }

    public var level: Logger.Level
    public var format: Format

    public init(level: Logger.Level = .warning, format: Format = .text) {
        self.level = level
        self.format = format
    }

    /// `OG_LOG_LEVEL` (trace, debug, info, notice, warning, error, critical;
    /// the CLI's --verbose sets debug, --quiet error) and `OG_LOG_FORMAT` (text, json).
    public static func from(environment: Environment) throws -> LogSettings {
        var settings = LogSettings()
        if let text = environment["OG_LOG_LEVEL"] {
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw GatewayError.badInput("OG_LOG_LEVEL: '\(text)' is not one of trace, debug, info, notice, warning, error, critical")
            }
            settings.level = level
        }
        if let text = environment["OG_LOG_FORMAT"] {
            guard let format = Format(rawValue: text.lowercased()) else {
                throw GatewayError.option("log-format", "'\(text)' is not text or json")
            }
            settings.format = format
        }
        return settings
    }
}

public enum GatewayLogging {
    /// Installs the standard-error handler for this process (once; later calls are ignored by swift-log).
    public static func bootstrap(_ settings: LogSettings) {
        LoggingSystem.bootstrap { label in StandardErrorLogHandler(label: label, settings: settings) }
    }

    /// The logger of one job: its ID, the endpoint and the plugin as metadata on every line.
    public static func jobLogger(jobID: String, endpoint: String, plugin: String, kind: String) -> Logger {
        var logger = Logger(label: "og-host.job")
        logger[metadataKey: "job"] = .string(jobID)
        logger[metadataKey: "endpoint"] = .string(endpoint)
        logger[metadataKey: "plugin"] = .string(plugin)
        logger[metadataKey: "kind"] = .string(kind)
        return logger
    }
}

/// The logger of the job running on this thread (or task); endpoint sessions
/// opened during a job log through it, so plugin `log` calls carry its metadata.
public enum JobLog {
    @TaskLocal public static var logger = Logger(label: "og-host")
}

/// One line per record on standard error: `level: message [key=value ...]`, or a JSON object.
struct StandardErrorLogHandler: LogHandler {
    let label: String
    let settings: LogSettings
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level

    init(label: String, settings: LogSettings) {
        self.label = label
        self.settings = settings
        self.logLevel = settings.level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let level = event.level, message = event.message
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let text: String
        switch settings.format {
        case .text:
            let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            text = "\(level): \(message)" + (fields.isEmpty ? "" : " [\(fields)]")
        case .json:
            var object: [String: String] = [:]
            for (key, value) in all { object[key] = "\(value)" }
            object["time"] = Self.timestamp()
            object["level"] = level.rawValue
            object["label"] = label
            object["message"] = "\(message)"
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            text = String(decoding: data, as: UTF8.self)
        }
        // One write per line, so lines from several threads never interleave; a closed stream is given up
        // (an orphaned job child goes on without its parent).
        StandardStreams.error(text + "\n")
    }

    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}
