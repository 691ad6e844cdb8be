import Synchronization
import CSpinHint

#if canImport(Glibc)
  import Glibc
#endif

/// A fixed set of threads that run one job at a time, each with its thread index; the calling
/// thread is worker 0. Workers spin between jobs (a forward pass hands out hundreds of short
/// jobs per token, and waking a sleeping thread costs more than most of them take), and fall
/// asleep after about a millisecond without work.
public final class WorkerPool: @unchecked Sendable {
  public let threadCount: Int
  private let shared: PoolState
  /// The next chunk of a `chunks` job.
  private let nextChunk = Atomic<Int>(0)
  private var threads: [pthread_t] = []

  public init(threads: Int) {
    threadCount = max(1, threads)
    shared = PoolState()
    for index in 1..<threadCount {
      let context = Unmanaged.passRetained(WorkerContext(state: shared, index: index)).toOpaque()
      var thread = pthread_t()
      let status = pthread_create(&thread, nil, { raw in
        let context = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
        context.state.workerLoop(index: context.index)
        return nil
      }, context)
      if status == 0 {
        self.threads.append(thread)
      } else {
        Unmanaged<WorkerContext>.fromOpaque(context).release()
      }
    }
  }

  deinit {
    shared.stop()
    for thread in threads { pthread_join(thread, nil) }
  }

  /// Runs `body(index)` on every worker (index 0 on the calling thread) and returns when all
  /// are done.
  public func run(_ body: (Int) -> Void) {
    guard !threads.isEmpty else { return body(0) }
    shared.run(workers: threads.count, body)
  }

  /// Splits `0..<count` into one contiguous range per worker, each a multiple of `granularity`
  /// (but the last), and runs `body` on the non-empty ones.
  public func parallelRanges(_ count: Int, granularity: Int = 1, _ body: (Range<Int>) -> Void) {
    let units = (count + granularity - 1) / granularity
    let workers = threads.count + 1
    if workers == 1 || units < 2 { return body(0..<count) }
    run { index in
      let range = Self.share(units, of: workers, index: index)
      let lower = min(count, range.lowerBound * granularity), upper = min(count, range.upperBound * granularity)
      if lower < upper { body(lower..<upper) }
    }
  }

  /// Runs `body` on chunks of `size` units of `0..<count`, handed out one at a time to whichever
  /// worker is free (a worker slowed by another process does less), each chunk exactly once.
  public func chunks(_ count: Int, size: Int, _ body: (Range<Int>) -> Void) {
    let size = max(1, size)
    if threads.isEmpty || count <= size { return body(0..<count) }
    nextChunk.store(0, ordering: .relaxed)
    run { _ in
      while true {
        let lower = nextChunk.wrappingAdd(1, ordering: .relaxed).oldValue * size
        if lower >= count { break }
        body(lower..<min(count, lower + size))
      }
    }
  }

  /// Worker `index`'s share of `count` units split as evenly as possible.
  public static func share(_ count: Int, of workers: Int, index: Int) -> Range<Int> {
    let base = count / workers, extra = count % workers
    let lower = index * base + min(index, extra)
    return lower..<(lower + base + (index < extra ? 1 : 0))
  }
}

/// What the workers share: the job, its generation number and the sleep/wake machinery.
private final class PoolState: @unchecked Sendable {
  /// Bumped once per job; workers wait for it to change.
  let generation = Atomic<Int>(0)
  /// Workers still running the current job.
  let running = Atomic<Int>(0)
  let sleepers = Atomic<Int>(0)
  let stopping = Atomic<Bool>(false)
  let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  /// The current job: written before `generation` is bumped, read by workers after they see
  /// the new generation.
  var job: ((Int) -> Void)?

  /// Spin iterations (each with `pause`) before a worker sleeps: about a millisecond, longer
  /// than the gaps between the jobs of a forward pass, short enough not to burn a core that
  /// another process (or test) needs.
  static let spinLimit = 1 << 15

  init() {
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(wake, nil)
  }

  deinit {
    pthread_cond_destroy(wake)
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
    wake.deallocate()
  }

  func run(workers: Int, _ body: (Int) -> Void) {
    withoutActuallyEscaping(body) { body in
      job = body
      running.store(workers, ordering: .relaxed)
      publish()
      body(0)
      // Spin for the others; yield the core now and then in case a worker is not running
      // (more threads than free cores).
      var spins = 0
      while running.load(ordering: .acquiring) > 0 {
        spins += 1
        if spins & 0x3FF == 0 { sched_yield() } else { llamakit_spin_hint() }
      }
      job = nil
    }
  }

  func stop() {
    stopping.store(true, ordering: .sequentiallyConsistent)
    publish()
  }

  /// Starts a new generation and wakes sleeping workers. Both sides use sequentially
  /// consistent order, so a worker going to sleep either is counted here or sees the new
  /// generation before it waits.
  private func publish() {
    generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
    if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
      pthread_mutex_lock(mutex)
      pthread_cond_broadcast(wake)
      pthread_mutex_unlock(mutex)
    }
  }

  func workerLoop(index: Int) {
    // Generation 0 is the pool before its first job (a thread may start after that job began).
    var seen = 0
    while true {
      var spins = 0
      var current = generation.load(ordering: .acquiring)
      while current == seen {
        if spins < Self.spinLimit {
          spins += 1
          llamakit_spin_hint()
        } else {
          pthread_mutex_lock(mutex)
          sleepers.wrappingAdd(1, ordering: .sequentiallyConsistent)
          while generation.load(ordering: .sequentiallyConsistent) == seen { pthread_cond_wait(wake, mutex) }
          sleepers.wrappingSubtract(1, ordering: .sequentiallyConsistent)
          pthread_mutex_unlock(mutex)
        }
        current = generation.load(ordering: .acquiring)
      }
      seen = current
      if stopping.load(ordering: .acquiring) { return }
      job?(index)
      running.wrappingSubtract(1, ordering: .releasing)
    }
  }
}

private final class WorkerContext {
  let state: PoolState
  let index: Int
  init(state: PoolState, index: Int) {
    self.state = state
    self.index = index
  }
}
