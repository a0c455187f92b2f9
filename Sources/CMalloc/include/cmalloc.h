#ifndef PREP_CMALLOC_H
#define PREP_CMALLOC_H

/// Tells the C allocator to keep freed memory for reuse (glibc `mallopt`: trim threshold 64 MiB, top pad 16 MiB,
/// mmap threshold 32 MiB) instead of handing it back to the kernel and faulting fresh zeroed pages in again for
/// the next chunk. A run's memory is bounded by its work in flight, so what is kept is what the next chunk
/// needs. Returns 1 when every setting was taken, 0 elsewhere (another C library, or glibc refused one).
int prep_keep_freed_memory(void);

#endif
