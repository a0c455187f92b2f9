#include <lzma.h>

/// `LZMA_CONCATENATED` is written with `UINT32_C`, a macro Swift does not import: this is its value.
static const uint32_t prep_lzma_concatenated = LZMA_CONCATENATED;
