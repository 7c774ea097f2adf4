#ifndef VTP_INFLATE_H
#define VTP_INFLATE_H
// Raw deflate (RFC 1951, no zlib/gzip framing) into a caller-sized buffer: the data of a zip entry whose
// uncompressed size the archive states. Never aborts; failures are negative VTP_GZIP_ERR_* codes (vtp_gzip.h).

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Inflates the raw deflate stream `input[0..<input_len]` into `output[0..<output_len]`. Returns VTP_GZIP_OK only
/// when the stream ends exactly after `output_len` bytes; VTP_GZIP_ERR_TRUNCATED when the input ends first,
/// VTP_GZIP_ERR_TOO_LARGE when the stream holds more than `output_len` bytes, VTP_GZIP_ERR_DATA when it is corrupt
/// or ends early.
int vtp_inflate_raw(const uint8_t *input, size_t input_len, uint8_t *output, size_t output_len);

#ifdef __cplusplus
}
#endif

#endif
