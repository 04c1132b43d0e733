import CLossLens
import LossLensCore

// Helpers shared by the exports: reading a caller's options struct and its thread count.

/// The options struct behind `pointer` (a required argument of every entry point that has one).
func readOptions<Options>(_ pointer: UnsafePointer<Options>?) throws(LossLensError) -> Options {
  try required(pointer, "options").pointee
}

/// The thread count an `n_threads` option asks for (0: the library's budget, -1: every CPU).
func threads(_ nThreads: Int32) -> Int { Threading.resolve(nJobs: Int(nThreads)) }

/// The error for an enum option holding a code that `losslens.h` does not define.
func unknownCode<Code: RawRepresentable>(_ option: String, _ code: Code, expected: String) -> LossLensError
where Code.RawValue: BinaryInteger {
  .invalid("\(option) must be \(expected), got \(code.rawValue)")
}

/// A caller's read-only buffer: `const T *` in losslens.h (NULL arrives as nil).
public typealias In<T> = UnsafePointer<T>?
/// A caller's writable buffer: `T *` in losslens.h (NULL arrives as nil).
public typealias InOut<T> = UnsafeMutablePointer<T>?
