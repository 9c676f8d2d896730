import OGPluginKit

/// What a keystore entry alias may be. Keytool and the PKCS#12 friendlyName
/// accept almost anything, but an alias also becomes a node id, an install
/// script's argument and part of messages, so control characters and '/'
/// (which scripts often turn into file names) are refused up front.
enum AliasRules {
    static let minimumLength = 1
    static let maximumLength = 128

    /// `alias` checked; `field` is where it came from ("alias" for the option or an install's alias).
    static func checked(_ alias: String, field: String) throws -> String {
        guard (minimumLength...maximumLength).contains(alias.count) else {
            let shown = alias.count > 40 ? String(alias.prefix(37)) + "..." : alias
            throw PluginError(status: .invalidArgument, field: field,
                              message: "'\(shown)' is \(alias.count) characters long; an alias has "
                                  + "\(minimumLength) to \(maximumLength), e.g. tomcat or www-example-com")
        }
        if alias.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == "\u{7f}" }) {
            throw PluginError(status: .invalidArgument, field: field,
                              message: "contains a control character (tab, line break, ...); give a printable alias such as tomcat")
        }
        if alias.contains("/") {
            throw PluginError(status: .invalidArgument, field: field,
                              message: "'\(alias)' contains '/'; give an alias without slashes, e.g. \(alias.split(separator: "/").joined(separator: "-"))")
        }
        if alias.first?.isWhitespace == true || alias.last?.isWhitespace == true {
            throw PluginError(status: .invalidArgument, field: field,
                              message: "'\(alias)' starts or ends with a space, which is easy to miss when it is typed again; remove it")
        }
        return alias
    }

    /// Keytool lowercases JKS aliases and the host's stores match them without
    /// regard to case, so "Tomcat" and "tomcat" name one entry.
    static func same(_ first: String, _ second: String) -> Bool {
        first.lowercased() == second.lowercased()
    }
}
