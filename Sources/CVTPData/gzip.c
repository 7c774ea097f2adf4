// Minimal zlib wrapper used to read the gzip-compressed BPE merges file. See vtp_gzip.h.
#include "vtp_gzip.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void vtp_gzip_reset_output(uint8_t **output, size_t *output_len) {
    if (output) *output = NULL;
    if (output_len) *output_len = 0;
}

int vtp_gunzip(const uint8_t *input, size_t input_len, size_t max_output,
               uint8_t **output, size_t *output_len) {
    vtp_gzip_reset_output(output, output_len);
    if (input == NULL || input_len == 0 || output == NULL || output_len == NULL) return VTP_GZIP_ERR_ARGUMENT;
    if (max_output == 0) max_output = (size_t)1 << 30;

    z_stream stream;
    memset(&stream, 0, sizeof stream);
    // 15 + 32: maximum window, automatic gzip/zlib header detection.
    if (inflateInit2(&stream, 15 + 32) != Z_OK) return VTP_GZIP_ERR_MEMORY;

    size_t capacity = input_len < ((size_t)1 << 20) ? ((size_t)1 << 20) : input_len * 4;
    if (capacity > max_output) capacity = max_output;
    uint8_t *buffer = (uint8_t *)malloc(capacity + 1);
    if (buffer == NULL) {
        inflateEnd(&stream);
        return VTP_GZIP_ERR_MEMORY;
    }

    size_t produced = 0;
    size_t consumed = 0;
    int result = VTP_GZIP_OK;
    for (;;) {
        if (produced == capacity) {
            if (capacity >= max_output) { result = VTP_GZIP_ERR_TOO_LARGE; break; }
            size_t grown = capacity > max_output / 2 ? max_output : capacity * 2;
            uint8_t *bigger = (uint8_t *)realloc(buffer, grown + 1);
            if (bigger == NULL) { result = VTP_GZIP_ERR_MEMORY; break; }
            buffer = bigger;
            capacity = grown;
        }
        size_t in_chunk = input_len - consumed;
        if (in_chunk > UINT32_MAX) in_chunk = UINT32_MAX;
        size_t out_chunk = capacity - produced;
        if (out_chunk > UINT32_MAX) out_chunk = UINT32_MAX;
        stream.next_in = (Bytef *)(input + consumed);
        stream.avail_in = (uInt)in_chunk;
        stream.next_out = buffer + produced;
        stream.avail_out = (uInt)out_chunk;

        int status = inflate(&stream, Z_NO_FLUSH);
        consumed += in_chunk - stream.avail_in;
        produced += out_chunk - stream.avail_out;

        if (status == Z_STREAM_END) {
            // Concatenated gzip members are legal; skip trailing zero padding, otherwise continue.
            while (consumed < input_len && input[consumed] == 0) consumed++;
            if (consumed == input_len) break;
            if (inflateReset(&stream) != Z_OK) { result = VTP_GZIP_ERR_DATA; break; }
            continue;
        }
        if (status == Z_NEED_DICT || status == Z_DATA_ERROR) { result = VTP_GZIP_ERR_DATA; break; }
        if (status == Z_MEM_ERROR) { result = VTP_GZIP_ERR_MEMORY; break; }
        if (status == Z_BUF_ERROR || status == Z_OK) {
            // No progress possible: either the input is exhausted (truncated) or the output is full.
            if (stream.avail_out == 0) continue;
            if (consumed == input_len) { result = VTP_GZIP_ERR_TRUNCATED; break; }
            if (status == Z_BUF_ERROR) { result = VTP_GZIP_ERR_DATA; break; }
            continue;
        }
        result = VTP_GZIP_ERR_DATA;
        break;
    }
    inflateEnd(&stream);

    if (result != VTP_GZIP_OK) {
        free(buffer);
        return result;
    }
    buffer[produced] = 0;
    *output = buffer;
    *output_len = produced;
    return VTP_GZIP_OK;
}

void vtp_gzip_free(uint8_t *buffer) { free(buffer); }

const char *vtp_gzip_error_string(int code) {
    switch (code) {
    case VTP_GZIP_OK: return "success";
    case VTP_GZIP_ERR_ARGUMENT: return "invalid argument or empty input";
    case VTP_GZIP_ERR_MEMORY: return "out of memory";
    case VTP_GZIP_ERR_DATA: return "not gzip data or corrupt compressed data";
    case VTP_GZIP_ERR_TRUNCATED: return "compressed data is truncated";
    case VTP_GZIP_ERR_TOO_LARGE: return "decompressed data is too large";
    default: return "unknown gzip error";
    }
}
