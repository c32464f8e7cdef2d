#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-operation timing with the monotonic clock (vDSO, no system call). Each sample times one
/// operation; the clock's own cost (median of timing nothing) is subtracted.
struct Measurement {
    let name: String
    let p50: Double
    let p99: Double

    static func nanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    nonisolated(unsafe) static var clockOverhead: Double = 0

    static func calibrate() {
        var samples: [Int64] = []
        samples.reserveCapacity(100_000)
        for _ in 0..<100_000 {
            let start = nanoseconds()
            samples.append(nanoseconds() - start)
        }
        samples.sort()
        clockOverhead = Double(samples[samples.count / 2])
    }

    static func run(_ name: String, samples count: Int, _ operation: () -> Void) -> Measurement {
        for _ in 0..<min(count, 2_000) { operation() }
        var samples: [Int64] = []
        samples.reserveCapacity(count)
        for _ in 0..<count {
            let start = nanoseconds()
            operation()
            samples.append(nanoseconds() - start)
        }
        samples.sort()
        func percentile(_ p: Double) -> Double {
            max(0, Double(samples[min(samples.count - 1, Int(Double(samples.count) * p))]) - clockOverhead)
        }
        return Measurement(name: name, p50: percentile(0.50), p99: percentile(0.99))
    }
}

@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
