import NIOCore

/// Runs a task's jobs on one NIO event loop (issue 11 item 4). A connection's handler task
/// prefers the loop that reads its socket, so a request is parsed, judged, forwarded and answered
/// on that one thread: no hand-off to the global executor's threads and back for every `await`
/// on the channel or the upstream client. NIO 2.101 makes its loops serial executors only, not
/// task executors, hence this adapter; `Task` preference, not the process-wide executor switch
/// (which was tried and reverted), so nothing else in the process moves onto the loops.
///
/// Anything that blocks still goes to its own thread pool (the audit spool's file I/O, libpq):
/// a blocked loop would stall every connection it serves.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // From the loop itself (the common case: a channel read or the upstream's answer resumed
        // the task) this only queues the job, without waking the selector.
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
