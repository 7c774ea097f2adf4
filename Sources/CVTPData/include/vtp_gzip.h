#ifndef VTP_GZIP_H
#define VTP_GZIP_H
// Minimal zlib wrapper: inflate a whole gzip (or zlib) buffer into freshly allocated memory.
// Never aborts; every failure is reported by a negative return code.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    VTP_GZIP_OK = 0,
    VTP_GZIP_ERR_ARGUMENT = -1,  // NULL pointer or empty input
    VTP_GZIP_ERR_MEMORY = -2,    // allocation failed
    VTP_GZIP_ERR_DATA = -3,      // not gzip/zlib data, or corrupt (bad header, bad CRC, invalid deflate stream)
    VTP_GZIP_ERR_TRUNCATED = -4, // the stream ends before the compressed data is complete
    VTP_GZIP_ERR_TOO_LARGE = -5, // the output would exceed max_output bytes
};

/// Decompresses `input[0..<input_len]` (gzip, several concatenated gzip members, or zlib format).
/// On success returns VTP_GZIP_OK and stores a malloc'ed buffer in `*output` (free it with
/// `vtp_gzip_free`) and its length in `*output_len`; the buffer is NUL-terminated (not counted).
/// On failure `*output` is NULL and `*output_len` is 0. `max_output` bounds the decompressed size
/// (0 means 1 GiB).
int vtp_gunzip(const uint8_t *input, size_t input_len, size_t max_output,
               uint8_t **output, size_t *output_len);

/// Frees a buffer returned by `vtp_gunzip` (NULL is allowed).
void vtp_gzip_free(uint8_t *buffer);

/// A short English description of a `vtp_gunzip` return code (static storage).
const char *vtp_gzip_error_string(int code);

#ifdef __cplusplus
}
#endif

#endif
