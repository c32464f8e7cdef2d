import NIOCore
import NIOPosix

/// A client that sends a request head and the start of a body, then one more byte every 20 ms
/// for as long as the server takes them. Returns what the server answered before it ended the
/// connection; a server that never does leaves the caller to its time limit.
func slowlorisRequest(port: Int, head: String, bodyStart: String) async throws -> String {
    let connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
        }
    return try await connection.executeThenClose { inbound, outbound in
        try await outbound.write(ByteBuffer(string: head + bodyStart))
        return await withTaskGroup(of: String?.self) { group in
            group.addTask {
                while (try? await Task.sleep(for: .milliseconds(20))) != nil, (try? await outbound.write(ByteBuffer(string: " "))) != nil {}
                return nil
            }
            group.addTask {
                var text = ""
                // Until the server ends the connection (a reset after the answer is fine).
                do { for try await chunk in inbound { text += String(buffer: chunk) } } catch {}
                return text
            }
            var answer = ""
            while let next = await group.next() {
                if let next {
                    answer = next
                    group.cancelAll()
                }
            }
            return answer
        }
    }
}
