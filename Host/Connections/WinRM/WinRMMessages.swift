import Foundation

/// The WS-Management SOAP envelopes of the Windows remote shell (MS-WSMV
/// 3.1.4: Create, Command, Send, Receive, Signal, Delete) and the pieces of
/// the replies og-host needs.
enum WinRMMessages {
    static let shellURI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
    static let cmdResourceURI = shellURI + "/cmd"
    /// 150 KiB: the smallest MaxEnvelopeSizekb a Windows listener has by default (Server 2008 R2).
    static let maxEnvelopeSize = 153_600
    /// The fault code of a Receive that saw no output within its OperationTimeout.
    static let operationTimedOutCode = "2150858793"

    enum Action: String {
        case create = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
        case delete = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"
        case command = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command"
        case send = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send"
        case receive = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive"
        case signal = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal"
    }

    static func envelope(to url: String, action: Action, shellID: String? = nil, operationTimeout: Duration,
                         options: [(String, String)] = [], body: String) -> String {
        let seconds = max(1, operationTimeout.components.seconds)
        var header = "<a:To>\(escape(url))</a:To>"
            + "<a:ReplyTo><a:Address s:mustUnderstand=\"true\">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>"
            + "<w:MaxEnvelopeSize s:mustUnderstand=\"true\">\(maxEnvelopeSize)</w:MaxEnvelopeSize>"
            + "<a:MessageID>uuid:\(UUID().uuidString)</a:MessageID>"
            + "<w:Locale xml:lang=\"en-US\" s:mustUnderstand=\"false\"/>"
            + "<p:DataLocale xml:lang=\"en-US\" s:mustUnderstand=\"false\"/>"
            + "<w:OperationTimeout>PT\(seconds)S</w:OperationTimeout>"
            + "<w:ResourceURI s:mustUnderstand=\"true\">\(cmdResourceURI)</w:ResourceURI>"
            + "<a:Action s:mustUnderstand=\"true\">\(action.rawValue)</a:Action>"
        if let shellID {
            header += "<w:SelectorSet><w:Selector Name=\"ShellId\">\(escape(shellID))</w:Selector></w:SelectorSet>"
        }
        if !options.isEmpty {
            header += "<w:OptionSet>" + options.map { "<w:Option Name=\"\($0.0)\">\($0.1)</w:Option>" }.joined() + "</w:OptionSet>"
        }
        return "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
            + "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\""
            + " xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\""
            + " xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\""
            + " xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd\""
            + " xmlns:rsp=\"\(shellURI)\">"
            + "<s:Header>\(header)</s:Header><s:Body>\(body)</s:Body></s:Envelope>"
    }

    static let createShellBody = "<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams>"
        + "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>"
    static let createShellOptions = [("WINRS_NOPROFILE", "TRUE"), ("WINRS_CODEPAGE", "65001")]
    static let commandOptions = [("WINRS_CONSOLEMODE_STDIN", "TRUE"), ("WINRS_SKIP_CMD_SHELL", "FALSE")]

    static func commandBody(_ command: String, arguments: [String]) -> String {
        "<rsp:CommandLine><rsp:Command>\(escape(command))</rsp:Command>"
            + arguments.map { "<rsp:Arguments>\(escape($0))</rsp:Arguments>" }.joined() + "</rsp:CommandLine>"
    }

    static func sendBody(commandID: String, data: [UInt8], end: Bool) -> String {
        "<rsp:Send><rsp:Stream Name=\"stdin\" CommandId=\"\(escape(commandID))\"\(end ? " End=\"true\"" : "")>"
            + Data(data).base64EncodedString() + "</rsp:Stream></rsp:Send>"
    }

    static func receiveBody(commandID: String) -> String {
        "<rsp:Receive><rsp:DesiredStream CommandId=\"\(escape(commandID))\">stdout stderr</rsp:DesiredStream></rsp:Receive>"
    }

    static func signalBody(commandID: String) -> String {
        "<rsp:Signal CommandId=\"\(escape(commandID))\"><rsp:Code>\(shellURI)/signal/terminate</rsp:Code></rsp:Signal>"
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    // MARK: Replies. Windows and other servers choose their own namespace prefixes, so elements are matched by local name.

    /// The text of the first element named `localName`.
    static func elementText(_ localName: String, in xml: String) -> String? {
        guard let match = xml.range(of: "<(\\w+:)?\(localName)(\\s[^>]*)?>([^<]*)</(\\w+:)?\(localName)>",
                                    options: .regularExpression) else { return nil }
        let element = xml[match]
        guard let open = element.firstIndex(of: ">"), let close = element.range(of: "</", options: .backwards) else { return nil }
        return unescape(String(element[element.index(after: open)..<close.lowerBound]))
    }

    struct Fault {
        var code: String?
        var reason: String
    }

    static func fault(in xml: String) -> Fault? {
        guard xml.range(of: "<(\\w+:)?Fault[\\s>]", options: .regularExpression) != nil else { return nil }
        var code: String?
        if let element = xml.range(of: "WSManFault[^>]*>", options: .regularExpression),
           let attribute = xml.range(of: "Code=\"[0-9]+\"", options: .regularExpression, range: element) {
            code = String(xml[attribute].dropFirst("Code=\"".count).dropLast())
        }
        let reason = elementText("Message", in: xml) ?? elementText("Text", in: xml) ?? "the server returned a SOAP fault"
        return Fault(code: code, reason: reason.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The decoded `stdout` and `stderr` streams, the exit code once the command is done.
    static func receiveOutput(_ xml: String) -> (standardOutput: [UInt8], standardError: [UInt8], exitCode: Int32?) {
        var output: [UInt8] = [], error: [UInt8] = []
        var searchStart = xml.startIndex
        while let match = xml.range(of: "<(\\w+:)?Stream\\s[^>]*?(/>|>[^<]*</(\\w+:)?Stream>)", options: .regularExpression,
                                    range: searchStart..<xml.endIndex) {
            let element = xml[match]
            searchStart = match.upperBound
            guard !element.hasSuffix("/>"), let open = element.firstIndex(of: ">"),
                  let close = element.range(of: "</", options: .backwards) else { continue }
            let bytes = Data(base64Encoded: String(element[element.index(after: open)..<close.lowerBound]),
                             options: .ignoreUnknownCharacters).map { [UInt8]($0) } ?? []
            if element.contains("Name=\"stderr\"") { error += bytes } else if element.contains("Name=\"stdout\"") { output += bytes }
        }
        let done = xml.range(of: "State=\"[^\"]*CommandState/Done\"", options: .regularExpression) != nil
        let exitCode = done ? Int32(elementText("ExitCode", in: xml) ?? "0") ?? 0 : nil
        return (output, error, exitCode)
    }

    private static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
