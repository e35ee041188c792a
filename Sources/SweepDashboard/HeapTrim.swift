import CSupport
import Dispatch
import Hummingbird
import Synchronization

/// Hands the memory freed after large answers back to the system, a second after the last.
///
/// A full answer of a large study is built, copied into a response and gzipped on whichever
/// thread serves it (12.5 MB of JSON at 24,000 trials), and glibc keeps what each thread
/// freed in that thread's arena: a dashboard of a 24,000-trial study, polled by one page,
/// grew from 118 to 165 MB over ten polls, and past 200 MB live. What stays cached (each
/// trial's JSON once, the last answers) is needed; the rest is returned here.
struct HeapTrim: RouterMiddleware {
    typealias Context = BasicRequestContext
    /// Answers at least this large are followed by a trim.
    static let largeAnswer = 1 << 20
    /// Whether a trim is already scheduled (several large answers share one).
    private static let scheduled = Atomic<Bool>(false)

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        if let length = response.body.contentLength, length >= Self.largeAnswer { Self.schedule() }
        return response
    }

    static func schedule() {
        guard !scheduled.exchange(true, ordering: .relaxed) else { return }
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + 1) {
            scheduled.store(false, ordering: .relaxed)
            sweep_trim_heap()
        }
    }
}
