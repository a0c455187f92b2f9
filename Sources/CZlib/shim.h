#include <zlib.h>

/// zlib's `inflateInit2` is a macro (it passes the library version and the stream's size): this is it as a
/// function Swift can call, set to read gzip members only (window bits 15 + 16).
static inline int prep_inflate_init_gzip(z_stream *stream) { return inflateInit2(stream, 15 + 16); }
