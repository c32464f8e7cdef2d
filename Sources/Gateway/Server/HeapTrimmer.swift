#if canImport(Glibc)
import CMalloc
import Glibc
#endif
import ServiceLifecycle
import Shared

/// Keeps glibc's heap from creeping up over a worker's life (issue 11 "Measure", memory: the RSS
/// must level off under load). Two causes were measured on a release worker:
///
/// - glibc gives each new thread that allocates an arena of its own, up to 8 per core; the worker
///   runs about 20 threads (event loops, the cooperative pool, the database pool, the audit
///   writer), so its heap was spread over a dozen arenas, each holding its own free memory.
///   `limitArenas` caps them at one per core before the worker starts its threads.
/// - freed memory inside an arena (not at its top) stays resident until `malloc_trim` hands its
///   pages back, so bursts left their high-water mark behind for good. `run` trims every `interval`.
///
/// `MALLOC_ARENA_MAX` in the environment (glibc's own setting) wins over `limitArenas`.
struct HeapTrimmer: Service {
    let interval: Duration

    /// Caps glibc's arenas at `count` unless `MALLOC_ARENA_MAX` is set; call before threads start.
    static func limitArenas(to count: Int) {
        #if canImport(Glibc)
        if getenv("MALLOC_ARENA_MAX") == nil { mallopt(M_ARENA_MAX, Int32(clamping: count)) }
        #endif
    }

    /// Hands the free pages of every arena back to the system.
    static func trim() {
        #if canImport(Glibc)
        malloc_trim(0)
        #endif
    }

    func run() async throws {
        await repeatUntilShutdown(every: interval, firstRound: .afterInterval) { Self.trim() }
    }
}
