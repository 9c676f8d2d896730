import Foundation
import OGBasics
import OGJSON
import OGHost
@testable import OGPlugins
import OGTestSupport
import Testing

/// The manifest reader uses the SDK's JSON parser (OGJSON); these pin it to the
/// RFC and to what the manifest writer (JSONEncoder) produces.
@Suite struct ManifestJSONTests {
    static let sample = PluginInfo(
        name: "sample", version: "1.2.3", license: "Apache-2.0", summary: "quotes \" backslash \\ slash / tab \t é 𝄞",
        sdkMajor: 1, sdkMinor: 0,
        types: [EndpointTypeInfo(name: "sample", summary: "a type", connectionTypes: [.local, .ssh, .winrmHTTPSInsecure],
                                 capabilities: [.discover, .install, .verifyServed],
                                 options: [OptionSpec(name: "path", kind: .path, required: true, min: 1, max: 4096, help: "where"),
                                           OptionSpec(name: "mode", kind: .enumeration, allowedValues: ["a", "b"],
                                                      defaultValue: "a", help: "how")])])

    @Test func readsBackWhatTheWriterWroteIncludingNanosecondTimes() throws {
        let work = try TemporaryDirectory("og-manifest-json")
        let library = work.file("libog-plugin-sample.so")
        try LocalFiles.writeAtomically(library, contents: [1, 2, 3], mode: 0o755)
        var stamp = timespec(tv_sec: 1_796_529_187, tv_nsec: 999_756_007)
        var times = [stamp, stamp]
        #expect(utimensat(AT_FDCWD, library, &times, 0) == 0)
        stamp.tv_nsec = 0
        let manifest = PluginManifest(format: PluginManifest.formatVersion, abiMajor: 1, abiMinor: 0, threadSafe: false,
                                      libraryFile: "libog-plugin-sample.so", librarySize: 3,
                                      libraryModified: 1_796_529_187_999_756_007, plugin: Self.sample)
        try manifest.write(besideLibrary: library)
        let read = PluginManifest.read(forLibrary: library)
        #expect(read.problem == nil, "\(read.problem ?? "")")
        #expect(read.manifest == manifest, "every field, the 64-bit mtime exactly")
    }

    @Test func agreesWithFoundationOnValidDocuments() throws {
        let documents = [
            #"{"a": [1, -2.5e+3, 0, true, false, null, "x\u00e9\ud834\udd1e\n"], "b": {}}"#,
            #"[]"#, #"  "text"  "#, #"-0"#, #"{"nested": {"deeper": [[[]]]}}"#,
            // Escapes between raw multi-byte text (stored options escape their slashes).
            #"{"path": "\/srv\/caf\u00e9\/é-ü.pem", "q": "\"\\\b\f\r\t ü\ud83d\ude00€", "€": "x\/"}"#,
        ]
        for document in documents {
            let ours = try JSON.parse(Array(document.utf8))
            let theirs = try JSONSerialization.jsonObject(with: Data(document.utf8), options: [.fragmentsAllowed])
            #expect(Self.same(ours, theirs), "\(document)")
        }
    }

    @Test func refusesWhatTheRFCRefusesAndHostileNesting() throws {
        let invalid: [(String, String)] = [
            (#"{"a": 1,}"#, "expected a member name"), (#"[1 2]"#, "expected ',' or ']'"), (#"01"#, "unexpected text after the JSON value"),
            (#"{"a": 1, "a": 2}"#, "appears twice"), ("\"tab\tinside\"", "control character"), (#""\ud800""#, "high surrogate"),
            (#""\udc00""#, "low surrogate"), (#"tru"#, "expected true"), (#"1."#, "a fraction has no digits"),
            (#"{"a" 1}"#, "expected ':'"), (#""\q""#, "unknown escape"), ("", "ends where a value should start"),
            (String(repeating: "[", count: 100_000), "nested deeper than 64"),
        ]
        for (document, message) in invalid {
            #expect { try JSON.parse(Array(document.utf8)) } throws: { "\($0)".contains(message) }
        }
        #expect { try JSON.parse([0x22, 0xC3, 0x28, 0x22]) } throws: { "\($0)".contains("not valid UTF-8") }
        #expect { try JSON.parse([0x22, 0x61, 0x5C, 0x6E, 0xFF, 0x22]) } throws: { "\($0)".contains("not valid UTF-8") }
        let large = "{" + (0..<100).map { "\"k\($0)\": \($0)" }.joined(separator: ", ") + ", \"k3\": 0}"
        #expect { try JSON.parse(Array(large.utf8)) } throws: { "\($0)".contains("\"k3\" appears twice") }
        let distinct = "{" + (0..<100).map { "\"k\($0)\": \($0)" }.joined(separator: ", ") + "}"
        #expect(try JSON.parse(Array(distinct.utf8))["k99"]?.integer(Int.self) == 99)
    }

    @Test func missingOrMistypedFieldsAreNamedByPath() throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        var object = try #require(try JSONSerialization.jsonObject(with: encoder.encode(Self.sample)) as? [String: Any])
        var types = try #require(object["types"] as? [[String: Any]])
        var options = try #require(types[0]["options"] as? [[String: Any]])
        options[1]["kind"] = "colour"
        types[0]["options"] = options
        object["types"] = types
        let document = try JSON.parse(Array(JSONSerialization.data(withJSONObject: object)))
        #expect { try PluginInfo(json: document, path: "plugin") } throws: {
            "\($0)" == "plugin.types[0].options[1].kind: 'colour' is not an option kind this host knows"
        }
        options[1]["kind"] = "enumeration"
        types[0]["options"] = options
        object["types"] = types
        object.removeValue(forKey: "sdk_minor")
        #expect { try PluginInfo(json: try JSON.parse(Array(JSONSerialization.data(withJSONObject: object))), path: "plugin") } throws: {
            "\($0)" == "plugin.sdk_minor: is missing"
        }
    }

    static func same(_ ours: JSON, _ theirs: Any) -> Bool {
        switch ours {
        case .null: return theirs is NSNull
        case .bool(let flag): return (theirs as? Bool) == flag
        case .number(let text): return (theirs as? NSNumber).map { $0.doubleValue == Double(text) } ?? false
        case .string(let text): return (theirs as? String) == text
        case .array(let items):
            guard let other = theirs as? [Any], other.count == items.count else { return false }
            return zip(items, other).allSatisfy { same($0, $1) }
        case .object(let members):
            guard let other = theirs as? [String: Any], other.count == members.count else { return false }
            return members.allSatisfy { key, value in other[key].map { same(value, $0) } ?? false }
        }
    }
}
