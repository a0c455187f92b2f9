#ifndef PREP_CFILESYNC_H
#define PREP_CFILESYNC_H

#include <stdint.h>

/// Starts writing `count` bytes at `offset` of the open file `fd` to disk without waiting for them: Linux
/// `sync_file_range(2)` with `SYNC_FILE_RANGE_WRITE` (declared by glibc only under `_GNU_SOURCE`, which
/// Swift's Glibc module does not set). Returns 0, or -1 with `errno` set; elsewhere it does nothing.
int prep_start_writeback(int fd, int64_t offset, int64_t count);

#endif
