// PNG decode/encode wrappers around libpng. All setjmp/longjmp handling is local to this file.
//
// Decoding produces 8-bit RGB the way Pillow's Image.open(f).convert("RGB") does:
//   gray 1/2/4/8 bit     -> value replicated (low bit depths scaled to 0...255, e.g. 2-bit * 0x55)
//   gray 16 bit          -> Pillow opens it as mode "I;16"; I;16 -> RGB clips: v > 255 ? 255 : v
//                           (no >>8 scaling!), replicated to R, G, B
//   gray+alpha 8/16 bit  -> gray (16-bit: most significant byte), alpha dropped
//   palette 1/2/4/8 bit  -> palette lookup; tRNS transparency ignored
//   RGB / RGBA 8/16 bit  -> RGB (16-bit: most significant byte), alpha dropped, tRNS ignored
// Gamma (gAMA), colour profiles (iCCP/sRGB/cHRM) and sBIT are ignored, as Pillow does.
// Chunks after the image data are not read (Pillow also tolerates a missing IEND).

#include "vtp_image_io.h"

#include <png.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void png_set_message(char *msg, size_t cap, const char *fmt, ...) {
    if (!msg || cap == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, cap, fmt, ap);
    va_end(ap);
}

// ---------------------------------------------------------------------------------------------
// Error plumbing shared by the reader and the writer.

typedef struct {
    jmp_buf jump;
    char *msg;
    size_t msg_cap;
} png_error_context;

static void png_on_error(png_structp png, png_const_charp text) {
    png_error_context *ctx = (png_error_context *)png_get_error_ptr(png);
    png_set_message(ctx->msg, ctx->msg_cap, "%s", text ? text : "libpng error");
    longjmp(ctx->jump, 1);
}

static void png_on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;  // benign (e.g. bad CRC in an ancillary chunk, which libpng then skips)
}

// ---------------------------------------------------------------------------------------------
// Reading from memory.

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t pos;
} png_memory_reader;

static void png_read_from_memory(png_structp png, png_bytep out, size_t count) {
    png_memory_reader *r = (png_memory_reader *)png_get_io_ptr(png);
    if (count > r->size - r->pos) {
        png_error(png, "unexpected end of data (file truncated)");
    }
    memcpy(out, r->data + r->pos, count);
    r->pos += count;
}

// State that must survive a longjmp lives behind a pointer taken before setjmp.
typedef struct {
    png_structp png;
    png_infop info;
    uint8_t *raw;
    png_bytep *rows;
    uint8_t *rgb;
} png_decode_state;

static void png_decode_cleanup(png_decode_state *st) {
    if (st->png) png_destroy_read_struct(&st->png, st->info ? &st->info : NULL, NULL);
    free(st->raw);
    free(st->rows);
    free(st->rgb);
    memset(st, 0, sizeof(*st));
}

static int png_check_signature(const uint8_t *data, size_t size, char *msg, size_t cap) {
    if (!data || size == 0) {
        png_set_message(msg, cap, "empty input");
        return VTP_IMG_ERR_CORRUPT;
    }
    if (size < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        png_set_message(msg, cap, "not a PNG file (bad signature)");
        return VTP_IMG_ERR_CORRUPT;
    }
    return VTP_IMG_OK;
}

// Reads width/height from the IHDR chunk, which the PNG specification requires to come first.
// Used for probing and to enforce size limits before libpng reads anything else.
static int png_parse_ihdr(const uint8_t *data, size_t size, uint32_t *width, uint32_t *height,
                          char *msg, size_t cap) {
    static const uint8_t tag[8] = {0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    if (size < 8 + 8 + 13) {
        png_set_message(msg, cap, "unexpected end of data (file truncated before the IHDR header)");
        return VTP_IMG_ERR_CORRUPT;
    }
    if (memcmp(data + 8, tag, 8) != 0) {
        png_set_message(msg, cap, "missing IHDR chunk");
        return VTP_IMG_ERR_CORRUPT;
    }
    const uint8_t *p = data + 16;
    *width = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    *height = ((uint32_t)p[4] << 24) | ((uint32_t)p[5] << 16) | ((uint32_t)p[6] << 8) | p[7];
    if (*width == 0 || *height == 0 || *width > 0x7fffffffu || *height > 0x7fffffffu) {
        png_set_message(msg, cap, "invalid image dimensions %ux%u in IHDR", (unsigned)*width,
                        (unsigned)*height);
        return VTP_IMG_ERR_CORRUPT;
    }
    return VTP_IMG_OK;
}

static int png_limits_exceeded(uint32_t w, uint32_t h, vtp_image_limits limits) {
    if (limits.max_width && w > limits.max_width) return 1;
    if (limits.max_height && h > limits.max_height) return 1;
    if (limits.max_pixels && (uint64_t)w * (uint64_t)h > limits.max_pixels) return 1;
    return 0;
}

int vtp_png_probe(const uint8_t *data, size_t size, uint32_t *width, uint32_t *height,
                  char *msg, size_t msg_cap) {
    int rc = png_check_signature(data, size, msg, msg_cap);
    if (rc != VTP_IMG_OK) return rc;
    return png_parse_ihdr(data, size, width, height, msg, msg_cap);
}

// Converts one decoded row (after libpng's palette / low-bit-depth expansion) to RGB8.
static void png_row_to_rgb(const uint8_t *src, uint8_t *dst, uint32_t width, int channels,
                           int bit_depth) {
    if (bit_depth == 8) {
        for (uint32_t x = 0; x < width; x++, src += channels, dst += 3) {
            if (channels <= 2) {
                dst[0] = dst[1] = dst[2] = src[0];
            } else {
                dst[0] = src[0];
                dst[1] = src[1];
                dst[2] = src[2];
            }
        }
        return;
    }
    // 16 bit, big-endian samples.
    const int step = channels * 2;
    for (uint32_t x = 0; x < width; x++, src += step, dst += 3) {
        if (channels == 1) {
            uint8_t v = src[0] != 0 ? 255 : src[1];  // Pillow I;16 -> RGB clips at 255
            dst[0] = dst[1] = dst[2] = v;
        } else if (channels == 2) {
            dst[0] = dst[1] = dst[2] = src[0];
        } else {
            dst[0] = src[0];
            dst[1] = src[2];
            dst[2] = src[4];
        }
    }
}

int vtp_png_decode_rgb8(const uint8_t *data, size_t size, vtp_image_limits limits,
                        vtp_rgb8_image *out, char *msg, size_t msg_cap) {
    if (!out) {
        png_set_message(msg, msg_cap, "null output");
        return VTP_IMG_ERR_ARGUMENT;
    }
    memset(out, 0, sizeof(*out));
    int rc = png_check_signature(data, size, msg, msg_cap);
    if (rc != VTP_IMG_OK) return rc;
    uint32_t header_width = 0, header_height = 0;
    rc = png_parse_ihdr(data, size, &header_width, &header_height, msg, msg_cap);
    if (rc != VTP_IMG_OK) return rc;
    if (png_limits_exceeded(header_width, header_height, limits)) {
        png_set_message(msg, msg_cap, "image dimensions %ux%u exceed the limit", (unsigned)header_width,
                        (unsigned)header_height);
        return VTP_IMG_ERR_TOO_LARGE;
    }

    png_error_context ctx;
    ctx.msg = msg;
    ctx.msg_cap = msg_cap;
    png_memory_reader reader = {data, size, 0};
    png_decode_state state;
    memset(&state, 0, sizeof(state));
    png_decode_state *st = &state;

    st->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, png_on_error, png_on_warning);
    if (!st->png) {
        png_set_message(msg, msg_cap, "out of memory");
        return VTP_IMG_ERR_NOMEM;
    }
    st->info = png_create_info_struct(st->png);
    if (!st->info) {
        png_decode_cleanup(st);
        png_set_message(msg, msg_cap, "out of memory");
        return VTP_IMG_ERR_NOMEM;
    }
    if (setjmp(ctx.jump)) {
        png_decode_cleanup(st);
        return VTP_IMG_ERR_CORRUPT;
    }

    png_set_read_fn(st->png, &reader, png_read_from_memory);
    // We apply our own (caller-provided) limits below; lift libpng's default 1e6 x 1e6 cap.
    png_set_user_limits(st->png, 0x7fffffff, 0x7fffffff);
    png_read_info(st->png, st->info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(st->png, st->info, &width, &height, &bit_depth, &color_type, &interlace, NULL,
                 NULL);
    if (png_limits_exceeded(width, height, limits)) {
        png_set_message(msg, msg_cap, "image dimensions %ux%u exceed the limit", (unsigned)width,
                        (unsigned)height);
        png_decode_cleanup(st);
        return VTP_IMG_ERR_TOO_LARGE;
    }

    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(st->png);
    if ((color_type & PNG_COLOR_MASK_COLOR) == 0 && bit_depth < 8) {
        png_set_expand_gray_1_2_4_to_8(st->png);
    }
    png_set_interlace_handling(st->png);
    png_read_update_info(st->png, st->info);

    const int channels = png_get_channels(st->png, st->info);
    const int out_depth = png_get_bit_depth(st->png, st->info);
    const size_t rowbytes = png_get_rowbytes(st->png, st->info);
    if ((out_depth != 8 && out_depth != 16) || channels < 1 || channels > 4 ||
        rowbytes != (size_t)width * (size_t)channels * (size_t)(out_depth / 8)) {
        png_set_message(msg, msg_cap, "unexpected PNG layout (%d channels, %d bit)", channels,
                        out_depth);
        png_decode_cleanup(st);
        return VTP_IMG_ERR_UNSUPPORTED;
    }
    if (height != 0 && rowbytes > SIZE_MAX / height) {
        png_set_message(msg, msg_cap, "image too large for memory");
        png_decode_cleanup(st);
        return VTP_IMG_ERR_TOO_LARGE;
    }
    st->raw = (uint8_t *)malloc(rowbytes * height);
    st->rows = (png_bytep *)malloc(sizeof(png_bytep) * height);
    st->rgb = (uint8_t *)malloc((size_t)width * height * 3);
    if (!st->raw || !st->rows || !st->rgb) {
        png_set_message(msg, msg_cap, "out of memory for %ux%u image", (unsigned)width,
                        (unsigned)height);
        png_decode_cleanup(st);
        return VTP_IMG_ERR_NOMEM;
    }
    for (png_uint_32 y = 0; y < height; y++) st->rows[y] = st->raw + rowbytes * y;
    png_read_image(st->png, st->rows);

    for (png_uint_32 y = 0; y < height; y++) {
        png_row_to_rgb(st->rows[y], st->rgb + (size_t)y * width * 3, width, channels, out_depth);
    }
    out->width = width;
    out->height = height;
    out->pixels = st->rgb;
    st->rgb = NULL;  // ownership passes to the caller
    png_decode_cleanup(st);
    return VTP_IMG_OK;
}

// ---------------------------------------------------------------------------------------------
// Encoding into a growing memory buffer.

typedef struct {
    uint8_t *data;
    size_t size;
    size_t cap;
} png_memory_writer;

static void png_write_to_memory(png_structp png, png_bytep bytes, size_t count) {
    png_memory_writer *w = (png_memory_writer *)png_get_io_ptr(png);
    if (count > SIZE_MAX - w->size) png_error(png, "output too large");
    if (w->size + count > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->size + count) cap = cap > SIZE_MAX / 2 ? w->size + count : cap * 2;
        uint8_t *grown = (uint8_t *)realloc(w->data, cap);
        if (!grown) png_error(png, "out of memory");
        w->data = grown;
        w->cap = cap;
    }
    memcpy(w->data + w->size, bytes, count);
    w->size += count;
}

static void png_flush_memory(png_structp png) { (void)png; }

typedef struct {
    png_structp png;
    png_infop info;
    png_memory_writer writer;
} png_encode_state;

static void png_encode_cleanup(png_encode_state *st) {
    if (st->png) png_destroy_write_struct(&st->png, st->info ? &st->info : NULL);
    free(st->writer.data);
    memset(st, 0, sizeof(*st));
}

int vtp_png_encode_rgb8(const uint8_t *rgb, uint32_t width, uint32_t height, int compression_level,
                        uint8_t **out, size_t *out_size, char *msg, size_t msg_cap) {
    if (!rgb || !out || !out_size || width == 0 || height == 0) {
        png_set_message(msg, msg_cap, "invalid arguments (empty image or null pointer)");
        return VTP_IMG_ERR_ARGUMENT;
    }
    if (width > 0x7fffffffu || height > 0x7fffffffu) {
        png_set_message(msg, msg_cap, "image dimensions %ux%u too large for PNG", width, height);
        return VTP_IMG_ERR_TOO_LARGE;
    }
    if (compression_level < -1 || compression_level > 9) {
        png_set_message(msg, msg_cap, "compression level %d outside -1...9", compression_level);
        return VTP_IMG_ERR_ARGUMENT;
    }
    *out = NULL;
    *out_size = 0;

    png_error_context ctx;
    ctx.msg = msg;
    ctx.msg_cap = msg_cap;
    png_encode_state state;
    memset(&state, 0, sizeof(state));
    png_encode_state *st = &state;

    st->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, png_on_error, png_on_warning);
    if (!st->png) {
        png_set_message(msg, msg_cap, "out of memory");
        return VTP_IMG_ERR_NOMEM;
    }
    st->info = png_create_info_struct(st->png);
    if (!st->info) {
        png_encode_cleanup(st);
        png_set_message(msg, msg_cap, "out of memory");
        return VTP_IMG_ERR_NOMEM;
    }
    if (setjmp(ctx.jump)) {
        png_encode_cleanup(st);
        return VTP_IMG_ERR_CORRUPT;
    }
    png_set_write_fn(st->png, &st->writer, png_write_to_memory, png_flush_memory);
    if (compression_level >= 0) png_set_compression_level(st->png, compression_level);
    png_set_IHDR(st->png, st->info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(st->png, st->info);
    const size_t stride = (size_t)width * 3;
    for (uint32_t y = 0; y < height; y++) {
        png_write_row(st->png, (png_const_bytep)(rgb + stride * y));
    }
    png_write_end(st->png, NULL);

    *out = st->writer.data;
    *out_size = st->writer.size;
    st->writer.data = NULL;
    png_encode_cleanup(st);
    return VTP_IMG_OK;
}

void vtp_image_free(void *p) { free(p); }
