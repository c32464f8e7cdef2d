#if canImport(Glibc)
import Glibc

// Counts heap allocations by interposing glibc's allocation entry points. The executable exports
// these symbols (`--export-dynamic` in Package.swift), so the Swift runtime and Foundation bind to
// them; each forwards to glibc's own implementation (`__libc_*`), so nothing else changes.
// The benchmark is single-threaded, so a plain counter is exact for the code it measures.

nonisolated(unsafe) var heapAllocations = 0

@_silgen_name("__libc_malloc") private func libcMalloc(_ size: Int) -> UnsafeMutableRawPointer?
@_silgen_name("__libc_calloc") private func libcCalloc(_ count: Int, _ size: Int) -> UnsafeMutableRawPointer?
@_silgen_name("__libc_realloc") private func libcRealloc(_ pointer: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer?
@_silgen_name("__libc_memalign") private func libcMemalign(_ alignment: Int, _ size: Int) -> UnsafeMutableRawPointer?

@_cdecl("malloc") public func countingMalloc(_ size: Int) -> UnsafeMutableRawPointer? {
    heapAllocations &+= 1
    return libcMalloc(size)
}

@_cdecl("calloc") public func countingCalloc(_ count: Int, _ size: Int) -> UnsafeMutableRawPointer? {
    heapAllocations &+= 1
    return libcCalloc(count, size)
}

@_cdecl("realloc") public func countingRealloc(_ pointer: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer? {
    heapAllocations &+= 1
    return libcRealloc(pointer, size)
}

@_cdecl("aligned_alloc") public func countingAlignedAlloc(_ alignment: Int, _ size: Int) -> UnsafeMutableRawPointer? {
    heapAllocations &+= 1
    return libcMemalign(alignment, size)
}

@_cdecl("posix_memalign") public func countingPosixMemalign(
    _ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: Int, _ size: Int
) -> Int32 {
    heapAllocations &+= 1
    guard let pointer = libcMemalign(alignment, size) else { return ENOMEM }
    result.pointee = pointer
    return 0
}

/// Heap allocations per call of `operation`, averaged over `count` calls after a warm-up.
func allocationsPerCall(_ operation: () -> Void, count: Int = 1_000) -> Double {
    for _ in 0..<100 { operation() }
    let before = heapAllocations
    for _ in 0..<count { operation() }
    return Double(heapAllocations - before) / Double(count)
}
#else
/// Allocation counting is implemented for glibc only.
func allocationsPerCall(_ operation: () -> Void, count: Int = 1_000) -> Double { .nan }
#endif
