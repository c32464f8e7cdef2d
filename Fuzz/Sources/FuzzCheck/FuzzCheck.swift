import CLibFuzzer
import Glibc

/// What every fuzz target shares: the driver, the input as an array and a property check that stops the run.

/// Runs libFuzzer with the process's arguments (`-max_len=`, corpus folders, ...) over `body`.
public func runFuzzer(_ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, body))
}

/// The fuzzer's input as bytes (libFuzzer passes a null pointer for the empty input).
public func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// Stops the run when a property does not hold: libFuzzer then saves the input as a crash artifact.
/// `fatalError` rather than `precondition`, whose message an optimized build drops.
public func check(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition { fatalError("property violated: " + message(), file: file, line: line) }
}

/// Bytes as text for a violation message: printable ASCII as is, everything else `\xNN`.
public func printable(_ bytes: some Sequence<UInt8>) -> String {
    let hex = Array("0123456789abcdef")
    var out = ""
    for byte in bytes {
        if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\\") {
            out.unicodeScalars.append(Unicode.Scalar(byte))
        } else {
            out += "\\x" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0xF)])
        }
    }
    return out
}
