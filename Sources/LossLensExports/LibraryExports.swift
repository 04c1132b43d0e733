import LossLensCore
import _COpenBLAS

@_cdecl("ll_abi_version")
public func ll_abi_version() -> Int32 { LossLensVersion.abi }

@_cdecl("ll_version")
public func ll_version(_ buffer: InOut<CChar>, _ length: Int64) {
  writeMessage(LossLensVersion.library, into: buffer, capacity: length)
}

@_cdecl("ll_blas_config")
public func ll_blas_config(_ buffer: InOut<CChar>, _ length: Int64) {
  let config = openblas_get_config().map { String(cString: $0) } ?? "unknown"
  let core = openblas_get_corename().map { String(cString: $0) } ?? "unknown"
  writeMessage("OpenBLAS \(config) (core: \(core))", into: buffer, capacity: length)
}

@_cdecl("ll_set_num_threads")
public func ll_set_num_threads(_ n: Int32) { Threading.setThreadCount(Int(n)) }

@_cdecl("ll_get_num_threads")
public func ll_get_num_threads() -> Int32 { Int32(clamping: Threading.threadCount) }

@_cdecl("ll_blas_num_threads")
public func ll_blas_num_threads() -> Int32 { Int32(clamping: Threading.blasThreadCount) }

@_cdecl("ll_request_cancel")
public func ll_request_cancel() { Cancellation.request() }

@_cdecl("ll_debug_address")
public func ll_debug_address(_ pointer: UnsafeRawPointer?) -> UInt64 {
  UInt64(UInt(bitPattern: pointer))
}

@_cdecl("ll_debug_spin")
public func ll_debug_spin(_ seconds: Double, _ err: InOut<CChar>, _ errLength: Int64) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    guard seconds >= 0, seconds.isFinite else { throw .invalid("seconds must be finite and >= 0") }
    var start = timespec(), now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
    var sink = 0.0
    repeat {
      for i in 0..<10_000 { sink += Double(i).squareRoot() }
      try Cancellation.check()
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    } while Double(now.tv_sec - start.tv_sec) + Double(now.tv_nsec - start.tv_nsec) * 1e-9 < seconds
    if sink < 0 { throw .invalid("unreachable") }
  }
}
