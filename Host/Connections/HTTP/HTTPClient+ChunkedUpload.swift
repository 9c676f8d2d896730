extension HTTPClient {
    /// Uploads `bytes` in pieces of at most `chunkSize` bytes, one request per
    /// piece, each saying where it belongs with `Content-Range: start-end/total`
    /// (end inclusive), the convention of F5 iControl REST's file-transfer
    /// endpoints. Stops at the first non-2xx answer (`HTTPError.unexpectedStatus`,
    /// or that answer itself with `returningFailure`); returns the answer to the last piece.
    @discardableResult
    public func uploadInChunks(_ url: String, bytes: [UInt8], chunkSize: Int, method: String = "POST",
                               headers: [(name: String, value: String)] = [],
                               timeout: Duration = .seconds(60), returningFailure: Bool = false) throws -> HTTPResponse {
        guard chunkSize > 0 else {
            throw HTTPError.invalidArgument(field: "chunk size", problem: "\(chunkSize) must be more than zero")
        }
        guard !bytes.isEmpty else {
            throw HTTPError.invalidArgument(field: "upload", problem: "there are no bytes to upload to \(URLRedaction.redacted(url))")
        }
        let ownHeaders = headers.filter { !["content-range", "content-type"].contains($0.name.lowercased()) }
        let contentType = headers.first { $0.name.lowercased() == "content-type" }?.value ?? "application/octet-stream"
        var response: HTTPResponse?
        for start in stride(from: 0, to: bytes.count, by: chunkSize) {
            let end = min(start + chunkSize, bytes.count)
            let request = HTTPRequest(
                method: method, url: url,
                headers: ownHeaders + [("Content-Type", contentType), ("Content-Range", "\(start)-\(end - 1)/\(bytes.count)")],
                body: Array(bytes[start..<end]), timeout: timeout)
            let answer = try send(request)
            if returningFailure && !answer.isSuccess { return answer }
            response = try answer.requireSuccess(url: url)
        }
        return response!
    }
}
