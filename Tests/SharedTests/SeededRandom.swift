@testable import JSON
@testable import Shared

/// A small deterministic generator (SplitMix64) for property-based tests: the same seed gives the
/// same cases on every machine, so a failure can be replayed.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

    mutating func pick<T>(_ items: [T]) -> T { items[int(0...items.count - 1)] }

    mutating func string(maxLength: Int = 8) -> String {
        let alphabet: [Character] = Array("abcXYZ09-_/~ é\"\\\n😀")
        return String((0..<int(0...maxLength)).map { _ in pick(alphabet) })
    }

    mutating func jsonValue(depth: Int) -> JSONValue {
        switch int(0...(depth > 0 ? 6 : 3)) {
        case 0: return .null
        case 1: return .bool(int(0...1) == 1)
        case 2: return .number(pick([JSONNumber(int(-1000...1000)), JSONNumber(validatedText: "1.50"), JSONNumber(validatedText: "-2e-3"), JSONNumber(validatedText: "123456789012345678901234")]))
        case 3: return .string(string())
        case 4: return .array((0..<int(0...4)).map { _ in jsonValue(depth: depth - 1) })
        default:
            var object = JSONObject()
            for _ in 0..<int(0...4) { object[string()] = jsonValue(depth: depth - 1) }
            return .object(object)
        }
    }
}
