import Shared

/// The framing of one spooled record: `length (UInt32 LE) | CRC-32 (UInt32 LE) | payload`. In the
/// `json` format the checksum covers the payload; in the `binary` format it covers the length's
/// four bytes and then the payload, so a run of zero bytes is not an empty record (the CRC-32 of
/// nothing is 0): a preallocated segment's unwritten tail ends the reading like a torn record.
///
/// A crash in the middle of a `write` leaves a record cut short or with garbage where its bytes
/// should be; the length says where the record ends and the checksum says whether every byte of it
/// reached the disk, so a reader stops at the last whole record instead of decoding half of one.
enum AuditSpoolRecord {
    static let headerSize = 8
    /// Far above any real event; a larger length is a torn header, not a record.
    static let maxPayloadSize = 16 << 20

    static func append(payload: [UInt8], format: AuditSpoolFormat = .current, to buffer: inout [UInt8]) {
        let length = UInt32(payload.count)
        appendLittleEndian(length, to: &buffer)
        appendLittleEndian(checksum(length: length, payload: payload[...], format: format), to: &buffer)
        buffer.append(contentsOf: payload)
    }

    /// The payloads of up to `maxRecords` whole records at the start of `bytes`, and how many bytes
    /// they span. Stops at the first record that is incomplete or fails its checksum.
    static func decodeRecords(
        in bytes: ArraySlice<UInt8>, format: AuditSpoolFormat = .current, maxRecords: Int = .max
    ) -> (payloads: [ArraySlice<UInt8>], consumed: Int) {
        var payloads: [ArraySlice<UInt8>] = []
        var offset = bytes.startIndex
        while payloads.count < maxRecords, bytes.endIndex - offset >= headerSize {
            let length = readLittleEndian(bytes, at: offset)
            let checksum = readLittleEndian(bytes, at: offset + 4)
            let payloadStart = offset + headerSize
            guard length <= maxPayloadSize, bytes.endIndex - payloadStart >= Int(length) else { break }
            let payload = bytes[payloadStart..<payloadStart + Int(length)]
            guard Self.checksum(length: length, payload: payload, format: format) == checksum else { break }
            payloads.append(payload)
            offset = payloadStart + Int(length)
        }
        return (payloads, offset - bytes.startIndex)
    }

    private static func checksum(length: UInt32, payload: ArraySlice<UInt8>, format: AuditSpoolFormat) -> UInt32 {
        switch format {
        case .json:
            CRC32.checksum(payload)
        case .binary:
            CRC32.checksum(payload, continuing: CRC32.checksum((0..<4).map { UInt8(truncatingIfNeeded: length >> UInt32(8 * $0)) }))
        }
    }

    private static func appendLittleEndian(_ value: UInt32, to buffer: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { buffer.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    private static func readLittleEndian(_ bytes: ArraySlice<UInt8>, at offset: Int) -> UInt32 {
        (0..<4).reduce(0) { value, index in value | UInt32(bytes[offset + index]) << UInt32(8 * index) }
    }
}
