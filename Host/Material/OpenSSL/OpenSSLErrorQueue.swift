import COpenSSL

/// Reads OpenSSL's thread-local error queue into messages a person can read.
enum OpenSSLErrorQueue {
    /// Forgets errors left by earlier calls, so a later drain reports only ours.
    static func clear() { ERR_clear_error() }

    /// Empties the queue, oldest error first, as "library: reason (detail)".
    static func drain() -> [String] {
        var messages: [String] = []
        while true {
            var data: UnsafePointer<CChar>?
            var flags: Int32 = 0
            let code = ERR_get_error_all(nil, nil, nil, &data, &flags)
            if code == 0 { break }
            let library = ERR_lib_error_string(code).map { String(cString: $0) } ?? "OpenSSL"
            let reason = ERR_reason_error_string(code).map { String(cString: $0) }
                ?? "error \(ERR_GET_REASON(code))"
            var message = "\(library): \(reason)"
            if let data, flags & ERR_TXT_STRING != 0 {
                let text = String(cString: data)
                if !text.isEmpty { message += " (\(text))" }
            }
            if !messages.contains(message) { messages.append(message) }
        }
        return messages
    }

    /// The failure of `operation`, with whatever OpenSSL recorded about it.
    static func failure(_ operation: String) -> MaterialError {
        .openSSL(operation: operation, messages: drain())
    }

    /// The reason codes currently queued, oldest first, leaving the queue empty.
    static func drainReasons() -> [(library: Int32, reason: Int32)] {
        var reasons: [(Int32, Int32)] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            reasons.append((ERR_GET_LIB(code), ERR_GET_REASON(code)))
        }
        return reasons
    }
}
