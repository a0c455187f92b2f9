// Allocator settings for the prep process; written for prep.
#include "cmalloc.h"

#include <stdlib.h>  // defines __GLIBC__ on glibc (through features.h)

#if defined(__GLIBC__)
#include <malloc.h>

int prep_keep_freed_memory(void) {
  int ok = mallopt(M_TRIM_THRESHOLD, 64 << 20);
  ok &= mallopt(M_TOP_PAD, 16 << 20);
  ok &= mallopt(M_MMAP_THRESHOLD, 32 << 20);
  return ok != 0;
}

#else

int prep_keep_freed_memory(void) { return 0; }

#endif
