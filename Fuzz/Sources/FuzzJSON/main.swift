import FuzzCheck
import JSON

/// The strict JSON parser (Sources/Shared/JSON) on arbitrary bytes. Properties, beyond not crashing:
/// - an accepted input is valid UTF-8 (the parser is the gate for design.md §5.9);
/// - parse → serialize → parse gives the same value and the same bytes (what is forwarded upstream
///   is what was judged);
/// - the canonical form (hashes, approval fingerprints, the audit chain) is a fixed point: parsing it
///   and writing it again changes no byte, whichever form it was computed from;
/// - the nesting limit is exact: a value of depth d parses with maxDepth d and fails with d - 1;
/// - numbers compare antisymmetrically (policy conditions rely on `compare`);
/// - a refused input gets an error whose offset lies inside it and a JSON-RPC code of -32700 or -32600.
func checkJSONProperties(_ input: [UInt8]) {
    let value: JSONValue
    do {
        value = try JSONParser().parse(input)
    } catch {
        check(error.offset >= 0 && error.offset <= input.count, "error offset \(error.offset) outside \(input.count) bytes")
        check(error.jsonRPCCode == -32700 || error.jsonRPCCode == -32600, "code \(error.jsonRPCCode) for \(error.kind)")
        return
    }
    check(String(validating: input, as: UTF8.self) != nil, "accepted invalid UTF-8: \(printable(input))")

    let serialized = value.serializedBytes()
    let reparsed = parseOrStop(serialized, "serialized form")
    check(reparsed == value, "serialize/parse changed the value: \(printable(serialized))")
    check(reparsed.serializedBytes() == serialized, "serialization is not stable: \(printable(serialized))")

    let canonical = value.canonicalBytes()
    check(reparsed.canonicalBytes() == canonical, "canonical form depends on the serialization")
    check(parseOrStop(canonical, "canonical form").canonicalBytes() == canonical,
          "canonical form is not a fixed point: \(printable(canonical))")

    let depth = nesting(of: value)
    check(depth <= JSONParser.defaultMaxDepth, "accepted nesting \(depth)")
    check((try? JSONParser(maxDepth: depth).parse(input)) != nil, "depth \(depth) refused at maxDepth \(depth)")
    if depth > 0 {
        do {
            _ = try JSONParser(maxDepth: depth - 1).parse(input)
            check(false, "depth \(depth) accepted at maxDepth \(depth - 1)")
        } catch {
            check(error.kind == .tooDeep, "depth \(depth) at maxDepth \(depth - 1) failed as \(error.kind)")
        }
    }

    let numbers = Array(numbersIn(value).prefix(16))
    for a in numbers {
        check(a.compare(a) == 0, "\(a) differs from itself")
        for b in numbers {
            check(a.compare(b) == -b.compare(a), "compare(\(a), \(b)) is not antisymmetric")
        }
    }
}

private func parseOrStop(_ bytes: [UInt8], _ what: String) -> JSONValue {
    do {
        return try JSONParser().parse(bytes)
    } catch {
        fatalError("property violated: the \(what) does not parse (\(error)): \(printable(bytes))")
    }
}

/// Depth as `JSONParser.maxDepth` counts it: a scalar is 0, `[]` is 1.
private func nesting(of value: JSONValue) -> Int {
    switch value {
    case .array(let elements): 1 + elements.map(nesting).reduce(0, max)
    case .object(let object): 1 + object.members.map { nesting(of: $0.value) }.reduce(0, max)
    case .null, .bool, .number, .string: 0
    }
}

private func numbersIn(_ value: JSONValue) -> [JSONNumber] {
    switch value {
    case .number(let number): [number]
    case .array(let elements): elements.flatMap(numbersIn)
    case .object(let object): object.members.flatMap { numbersIn($0.value) }
    case .null, .bool, .string: []
    }
}

// Last: top-level globals above are initialized in order, and the driver never returns.
runFuzzer { data, size in
    checkJSONProperties(fuzzInput(data, size))
    return 0
}
