import Testing
@testable import Shared

@Suite struct WakeListTests {
    @Test(.timeLimit(.minutes(1)))
    func aWakeBetweenRegisteringAndWaitingIsNotMissed() async {
        let list = WakeList<Int>()
        let ticket = list.register(1)
        list.wake { $0 == 1 }
        #expect(await ticket.wait(timeout: .seconds(30)))
    }

    @Test(.timeLimit(.minutes(1)))
    func onlyMatchingSubjectsAreWoken() async {
        let list = WakeList<Int>()
        let woken = list.register(1)
        let other = list.register(2)
        async let first = woken.wait(timeout: .seconds(30))
        async let second = other.wait(timeout: .milliseconds(200))
        // Whether or not the waits have suspended yet, the wake reaches ticket 1 only.
        list.wake { $0 == 1 }
        #expect(await first)
        #expect(await second == false)
    }

    @Test(.timeLimit(.minutes(1)))
    func aWaitWithoutAWakeEndsAtItsTimeout() async {
        let list = WakeList<Int>()
        #expect(await list.register(1).wait(timeout: .milliseconds(50)) == false)
    }

    @Test(.timeLimit(.minutes(1)))
    func aCancelledWaitEndsFalseAndLeavesNoWaiterBehind() async {
        let list = WakeList<Int>()
        let ticket = list.register(1)
        let waiting = Task { await ticket.wait(timeout: .seconds(30)) }
        waiting.cancel()
        #expect(await waiting.value == false)
        // The cancelled registration is gone: a later wake finds nothing to resume, and a new
        // registration still works.
        list.wake { _ in true }
        let next = list.register(1)
        list.wake { $0 == 1 }
        #expect(await next.wait(timeout: .seconds(30)))
    }
}
