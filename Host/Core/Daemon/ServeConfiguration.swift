import Foundation
import OGBasics
import OGInventory
import OGJSON

/// What `og-host serve --config FILE` reads (and re-reads on SIGHUP): event
/// hooks, the webhook and the scheduler's intervals. A JSON object; every key
/// is optional, an unknown key or a wrong value is refused with its path named
/// (`hooks.renewed[0]`), so a typo never silently disables a hook.
///
/// ```json
/// {
///   "hooks": { "renewed": ["/usr/local/bin/notify", "--channel", "certs"], "*": ["/usr/bin/logger", "-t", "og-host"] },
///   "hookTimeoutSeconds": 30,
///   "webhook": { "url": "https://hooks.example.net/og-host", "timeoutSeconds": 10 },
///   "watchIntervalSeconds": 3600,
///   "renewalCheckIntervalSeconds": 60,
///   "recoveryIntervalSeconds": 60,
///   "stopTimeoutSeconds": 60
/// }
/// ```
///
/// Hook arguments come from this file alone; the event travels on standard
/// input, so nothing the gateway knows (let alone a secret) reaches an argv.
public struct ServeConfiguration: Sendable, Equatable {
    /// argv per event kind; `*` applies to kinds without their own hook.
    public var hooks: [String: [String]] = [:]
    public var hookTimeout: Duration = .seconds(30)
    public var webhookURL: String?
    public var webhookTimeout: Duration = .seconds(10)
    /// How often every binding's served certificate is probed.
    public var watchInterval: TimeInterval = 3_600
    /// The longest the scheduler waits before asking the renewal schedule what is due.
    public var renewalCheckInterval: TimeInterval = 60
    /// How often unfinished installs whose owner is gone are looked for.
    public var recoveryInterval: TimeInterval = 60
    /// How long SIGTERM waits for running work before handing its leases back.
    public var stopTimeout: TimeInterval = 60

    public init() {}

    /// The hook for `kind`: its own, else the `*` one.
    public func hook(for kind: GatewayEvent.Kind) -> [String]? {
        hooks[kind.rawValue] ?? hooks["*"]
    }

    /// Reads and validates the file at `path`. Errors name the file and the key.
    public static func load(path: String) throws -> ServeConfiguration {
        let bytes: [UInt8]
        do {
            bytes = try LocalFiles.read(path, limit: LocalFiles.ReadLimit(bytes: 1 << 20, kind: "serve configuration"))
        } catch {
            throw GatewayError.option("config", "\(path): \(error)")
        }
        return try parse(bytes, source: path)
    }

    public static func parse(_ bytes: [UInt8], source: String) throws -> ServeConfiguration {
        func fail(_ key: String, _ problem: String) -> GatewayError {
            GatewayError.option("config", "\(source): field `\(key)` \(problem)")
        }
        let root: JSON
        do {
            root = try JSON.parse(bytes)
        } catch {
            throw GatewayError.option("config", "\(source): \(error)")
        }
        guard let members = root.objectMembers else {
            throw GatewayError.option("config", "\(source): is not a JSON object")
        }
        var configuration = ServeConfiguration()
        func seconds(_ key: String, _ value: JSON, in range: ClosedRange<Double>) throws -> Double {
            guard case .number(let text) = value, let number = Double(text), range.contains(number) else {
                throw fail(key, "must be a number of seconds from \(range.lowerBound.formatted) to \(range.upperBound.formatted)")
            }
            return number
        }
        for (key, value) in members {
            switch key {
            case "hooks":
                guard let hooks = value.objectMembers else { throw fail(key, "must be an object of event kind to argv") }
                for (kind, argv) in hooks {
                    let path = "hooks.\(kind)"
                    guard kind == "*" || GatewayEvent.Kind(rawValue: kind) != nil else {
                        throw fail(path, "is not an event kind; give one of "
                                   + (GatewayEvent.Kind.allCases.map(\.rawValue) + ["*"]).joined(separator: ", "))
                    }
                    guard let items = argv.arrayValue, !items.isEmpty else {
                        throw fail(path, "must be a non-empty array: the command and its arguments")
                    }
                    var words: [String] = []
                    for (index, word) in items.enumerated() {
                        guard let text = word.stringValue, !text.isEmpty, !text.contains("\0") else {
                            throw fail("\(path)[\(index)]", "must be a non-empty string")
                        }
                        words.append(text)
                    }
                    guard words[0].hasPrefix("/") else {
                        throw fail("\(path)[0]", "'\(words[0])' must be an absolute path: a daemon's PATH is not yours")
                    }
                    configuration.hooks[kind] = words
                }
            case "hookTimeoutSeconds":
                configuration.hookTimeout = .milliseconds(Int64(try seconds(key, value, in: 1...3_600) * 1000))
            case "webhook":
                guard let webhook = value.objectMembers else { throw fail(key, "must be an object with `url`") }
                for (field, _) in webhook where !["url", "timeoutSeconds"].contains(field) {
                    throw fail("webhook.\(field)", "is not a webhook setting; give url and timeoutSeconds")
                }
                guard let url = value["url"]?.stringValue, let parsed = URL(string: url),
                      ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host?.isEmpty == false else {
                    throw fail("webhook.url", "must be an http:// or https:// URL")
                }
                guard parsed.user == nil, parsed.password == nil else {
                    throw fail("webhook.url", "must not carry a user or password")
                }
                configuration.webhookURL = url
                if let timeout = value["timeoutSeconds"] {
                    configuration.webhookTimeout = .milliseconds(Int64(try seconds("webhook.timeoutSeconds", timeout, in: 1...300) * 1000))
                }
            case "watchIntervalSeconds":
                configuration.watchInterval = try seconds(key, value, in: 1...604_800)
            case "renewalCheckIntervalSeconds":
                configuration.renewalCheckInterval = try seconds(key, value, in: 1...86_400)
            case "recoveryIntervalSeconds":
                configuration.recoveryInterval = try seconds(key, value, in: 1...86_400)
            case "stopTimeoutSeconds":
                configuration.stopTimeout = try seconds(key, value, in: 1...3_600)
            default:
                throw fail(key, "is not a setting; give hooks, hookTimeoutSeconds, webhook, watchIntervalSeconds, "
                           + "renewalCheckIntervalSeconds, recoveryIntervalSeconds or stopTimeoutSeconds")
            }
        }
        return configuration
    }
}

private extension Double {
    var formatted: String { self == rounded() ? String(Int(self)) : String(self) }
}
