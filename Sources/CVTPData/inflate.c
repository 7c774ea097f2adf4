// Raw deflate for zip entries (npz, PyTorch checkpoints). See vtp_inflate.h.
#include "vtp_inflate.h"
#include "vtp_gzip.h"

#include <string.h>
#include <zlib.h>

int vtp_inflate_raw(const uint8_t *input, size_t input_len, uint8_t *output, size_t output_len) {
    if ((input == NULL && input_len > 0) || (output == NULL && output_len > 0)) return VTP_GZIP_ERR_ARGUMENT;
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    if (inflateInit2(&stream, -15) != Z_OK) return VTP_GZIP_ERR_MEMORY;  // negative window bits: raw deflate
    size_t consumed = 0, produced = 0;
    int result = VTP_GZIP_OK;
    uint8_t spill;  // one byte past the end, to tell "exactly full" from "more data"
    for (;;) {
        size_t in_chunk = input_len - consumed;
        if (in_chunk > UINT32_MAX) in_chunk = UINT32_MAX;
        size_t out_chunk = output_len - produced;
        if (out_chunk > UINT32_MAX) out_chunk = UINT32_MAX;
        int full = out_chunk == 0;
        stream.next_in = (Bytef *)(input + consumed);
        stream.avail_in = (uInt)in_chunk;
        stream.next_out = full ? &spill : output + produced;
        stream.avail_out = full ? 1 : (uInt)out_chunk;
        int status = inflate(&stream, Z_NO_FLUSH);
        consumed += in_chunk - stream.avail_in;
        size_t made = (full ? 1 : out_chunk) - stream.avail_out;
        if (full && made > 0) { result = VTP_GZIP_ERR_TOO_LARGE; break; }
        produced += made;
        if (status == Z_STREAM_END) {
            if (produced != output_len) result = VTP_GZIP_ERR_DATA;
            break;
        }
        if (status == Z_NEED_DICT || status == Z_DATA_ERROR) { result = VTP_GZIP_ERR_DATA; break; }
        if (status == Z_MEM_ERROR) { result = VTP_GZIP_ERR_MEMORY; break; }
        if (status == Z_BUF_ERROR || status == Z_OK) {
            if (consumed == input_len && stream.avail_in == 0 && made == 0) { result = VTP_GZIP_ERR_TRUNCATED; break; }
            continue;
        }
        result = VTP_GZIP_ERR_DATA;
        break;
    }
    inflateEnd(&stream);
    return result;
}
