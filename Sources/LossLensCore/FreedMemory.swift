/// glibc's `malloc_trim`, looked up once at run time (it is not in Swift's Glibc module); `nil` on
/// other C libraries.
private let mallocTrim: (@convention(c) (Int) -> Int32)? = {
  guard let symbol = dlsym(dlopen(nil, RTLD_LAZY), "malloc_trim") else { return nil }
  return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
}()

/// Hands the pages of freed heap blocks back to the system (glibc's `malloc_trim(0)`; nothing
/// elsewhere).
///
/// glibc raises its mmap threshold after large blocks are freed, so later blocks of a few MB come
/// from the heaps of the threads that allocate them and stay resident once freed. A kernel that
/// frees large scratch before writing large outputs calls this in between, so its peak resident
/// memory counts what is live, not what was freed.
///
/// - Complexity: O(free blocks of the heaps).
public func releaseFreedMemory() {
  _ = mallocTrim?(0)
}
