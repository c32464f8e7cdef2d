import Foundation

extension UUID {
    /// `uuidString.lowercased()`, the form PostgreSQL binds and the audit chain's canonical JSON
    /// use, without Foundation's formatter (`sprintf`) and a second pass to lowercase: the audit
    /// shipper spells several UUIDs per event (issue 11 item 3).
    public var lowercaseText: String {
        withUnsafeBytes(of: uuid) { raw in
            String(unsafeUninitializedCapacity: 36) { text in
                var end = 0
                for (index, byte) in raw.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        text[end] = UInt8(ascii: "-")
                        end += 1
                    }
                    text[end] = uuidHexDigits[Int(byte >> 4)]
                    text[end + 1] = uuidHexDigits[Int(byte & 0x0F)]
                    end += 2
                }
                return end
            }
        }
    }
}

private let uuidHexDigits = Array("0123456789abcdef".utf8)
