// JPEG decode/encode wrappers around libjpeg(-turbo). All setjmp/longjmp handling is local here.
//
// Decoding matches Pillow's Image.open(f).convert("RGB") with default libjpeg settings
// (JDCT_ISLOW, fancy upsampling, no scaling):
//   1 component  -> grayscale output, replicated to R, G, B
//   3 components -> libjpeg's RGB output (YCbCr converted by libjpeg; Adobe transform=0 kept RGB)
//   4 components -> libjpeg CMYK output (YCCK converted to CMYK by libjpeg). Pillow always treats it
//                   as Adobe-inverted ("CMYK;I"), then converts CMYK -> RGB with
//                   R = clip(nk - muldiv255(C, nk)), nk = 255 - K, C = 255 - raw_c, K = 255 - raw_k.
// A premature end of data (libjpeg's JWRN_JPEG_EOF warning, which would otherwise pad the image with
// grey) is reported as an error, like Pillow's "image file is truncated". Other libjpeg warnings
// (corrupt entropy data that libjpeg recovers from) are ignored, as Pillow does.
// EXIF orientation is not applied (Pillow's Image.open does not apply it either).

#include "vtp_image_io.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>  // before jpeglib.h, which uses FILE

#include <jpeglib.h>
#include <jerror.h>
#include <stdlib.h>
#include <string.h>

static void jpeg_set_message(char *msg, size_t cap, const char *fmt, ...) {
    if (!msg || cap == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, cap, fmt, ap);
    va_end(ap);
}

typedef struct {
    struct jpeg_error_mgr base;  // must be first: libjpeg hands us a pointer to it
    jmp_buf jump;
    char *msg;
    size_t msg_cap;
    int code;
} jpeg_error_context;

static void jpeg_on_fatal(j_common_ptr cinfo) {
    jpeg_error_context *ctx = (jpeg_error_context *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    jpeg_set_message(ctx->msg, ctx->msg_cap, "%s", text);
    int code = cinfo->err->msg_code;
    if (code == JERR_BAD_PRECISION || code == JERR_NOT_COMPILED) {
        ctx->code = VTP_IMG_ERR_UNSUPPORTED;
    } else if (code == JERR_OUT_OF_MEMORY) {
        ctx->code = VTP_IMG_ERR_NOMEM;
    } else if (code == JERR_IMAGE_TOO_BIG) {
        ctx->code = VTP_IMG_ERR_TOO_LARGE;
    } else {
        ctx->code = VTP_IMG_ERR_CORRUPT;
    }
    longjmp(ctx->jump, 1);
}

static void jpeg_on_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return;  // trace messages
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
        jpeg_error_context *ctx = (jpeg_error_context *)cinfo->err;
        jpeg_set_message(ctx->msg, ctx->msg_cap, "unexpected end of data (file truncated)");
        ctx->code = VTP_IMG_ERR_CORRUPT;
        longjmp(ctx->jump, 1);
    }
    cinfo->err->num_warnings++;  // recoverable corruption: keep decoding, like Pillow
}

static void jpeg_silent_output(j_common_ptr cinfo) { (void)cinfo; }

static void jpeg_install_errors(jpeg_error_context *ctx, char *msg, size_t cap) {
    jpeg_std_error(&ctx->base);
    ctx->base.error_exit = jpeg_on_fatal;
    ctx->base.emit_message = jpeg_on_message;
    ctx->base.output_message = jpeg_silent_output;
    ctx->msg = msg;
    ctx->msg_cap = cap;
    ctx->code = VTP_IMG_ERR_CORRUPT;
}

static int jpeg_check_signature(const uint8_t *data, size_t size, char *msg, size_t cap) {
    if (!data || size == 0) {
        jpeg_set_message(msg, cap, "empty input");
        return VTP_IMG_ERR_CORRUPT;
    }
    if (size < 3 || data[0] != 0xFF || data[1] != 0xD8 || data[2] != 0xFF) {
        jpeg_set_message(msg, cap, "not a JPEG file (bad signature)");
        return VTP_IMG_ERR_CORRUPT;
    }
    return VTP_IMG_OK;
}

typedef struct {
    struct jpeg_decompress_struct cinfo;
    int created;
    uint8_t *row;
    uint8_t *rgb;
} jpeg_decode_state;

static void jpeg_decode_cleanup(jpeg_decode_state *st) {
    if (st->created) jpeg_destroy_decompress(&st->cinfo);
    free(st->row);
    free(st->rgb);
    st->created = 0;
    st->row = NULL;
    st->rgb = NULL;
}

int vtp_jpeg_probe(const uint8_t *data, size_t size, uint32_t *width, uint32_t *height,
                   char *msg, size_t msg_cap) {
    int rc = jpeg_check_signature(data, size, msg, msg_cap);
    if (rc != VTP_IMG_OK) return rc;
    jpeg_error_context err;
    jpeg_decode_state state;
    memset(&state, 0, sizeof(state));
    jpeg_decode_state *st = &state;
    jpeg_install_errors(&err, msg, msg_cap);
    st->cinfo.err = &err.base;
    if (setjmp(err.jump)) {
        jpeg_decode_cleanup(st);
        return err.code;
    }
    jpeg_create_decompress(&st->cinfo);
    st->created = 1;
    jpeg_mem_src(&st->cinfo, data, (unsigned long)size);
    jpeg_read_header(&st->cinfo, TRUE);
    *width = st->cinfo.image_width;
    *height = st->cinfo.image_height;
    jpeg_decode_cleanup(st);
    return VTP_IMG_OK;
}

// Pillow's (a * b + 128) / 255 approximation, exact for 0...255 * 0...255.
static inline int jpeg_muldiv255(int a, int b) {
    int t = a * b + 128;
    return ((t >> 8) + t) >> 8;
}

static inline uint8_t jpeg_clip8(int v) { return v <= 0 ? 0 : (v < 256 ? (uint8_t)v : 255); }

static void jpeg_row_to_rgb(const uint8_t *src, uint8_t *dst, uint32_t width, int components) {
    switch (components) {
        case 1:
            for (uint32_t x = 0; x < width; x++, dst += 3) dst[0] = dst[1] = dst[2] = src[x];
            break;
        case 3:
            memcpy(dst, src, (size_t)width * 3);
            break;
        default:  // 4: raw CMYK from libjpeg, Adobe-inverted per Pillow's "CMYK;I"
            for (uint32_t x = 0; x < width; x++, src += 4, dst += 3) {
                int c = 255 - src[0], m = 255 - src[1], y = 255 - src[2], k = 255 - src[3];
                int nk = 255 - k;
                dst[0] = jpeg_clip8(nk - jpeg_muldiv255(c, nk));
                dst[1] = jpeg_clip8(nk - jpeg_muldiv255(m, nk));
                dst[2] = jpeg_clip8(nk - jpeg_muldiv255(y, nk));
            }
            break;
    }
}

int vtp_jpeg_decode_rgb8(const uint8_t *data, size_t size, vtp_image_limits limits,
                         vtp_rgb8_image *out, char *msg, size_t msg_cap) {
    if (!out) {
        jpeg_set_message(msg, msg_cap, "null output");
        return VTP_IMG_ERR_ARGUMENT;
    }
    memset(out, 0, sizeof(*out));
    int rc = jpeg_check_signature(data, size, msg, msg_cap);
    if (rc != VTP_IMG_OK) return rc;

    jpeg_error_context err;
    jpeg_decode_state state;
    memset(&state, 0, sizeof(state));
    jpeg_decode_state *st = &state;
    jpeg_install_errors(&err, msg, msg_cap);
    st->cinfo.err = &err.base;
    if (setjmp(err.jump)) {
        jpeg_decode_cleanup(st);
        return err.code;
    }
    jpeg_create_decompress(&st->cinfo);
    st->created = 1;
    jpeg_mem_src(&st->cinfo, data, (unsigned long)size);
    jpeg_read_header(&st->cinfo, TRUE);

    const uint32_t width = st->cinfo.image_width, height = st->cinfo.image_height;
    if ((limits.max_width && width > limits.max_width) ||
        (limits.max_height && height > limits.max_height) ||
        (limits.max_pixels && (uint64_t)width * height > limits.max_pixels)) {
        jpeg_set_message(msg, msg_cap, "image dimensions %ux%u exceed the limit", width, height);
        jpeg_decode_cleanup(st);
        return VTP_IMG_ERR_TOO_LARGE;
    }
    const int components = st->cinfo.num_components;
    switch (components) {
        case 1: st->cinfo.out_color_space = JCS_GRAYSCALE; break;
        case 3: st->cinfo.out_color_space = JCS_RGB; break;
        case 4: st->cinfo.out_color_space = JCS_CMYK; break;
        default:
            jpeg_set_message(msg, msg_cap, "cannot handle %d-component JPEG", components);
            jpeg_decode_cleanup(st);
            return VTP_IMG_ERR_UNSUPPORTED;
    }
    // Pillow's defaults (it only changes these in draft mode).
    st->cinfo.dct_method = JDCT_ISLOW;
    st->cinfo.do_fancy_upsampling = TRUE;
    st->cinfo.scale_num = 1;
    st->cinfo.scale_denom = 1;

    jpeg_start_decompress(&st->cinfo);
    if (st->cinfo.output_width != width || st->cinfo.output_height != height ||
        st->cinfo.output_components != components) {
        jpeg_set_message(msg, msg_cap, "unexpected JPEG output layout");
        jpeg_decode_cleanup(st);
        return VTP_IMG_ERR_UNSUPPORTED;
    }
    st->row = (uint8_t *)malloc((size_t)width * components);
    st->rgb = (uint8_t *)malloc((size_t)width * height * 3);
    if (!st->row || !st->rgb) {
        jpeg_set_message(msg, msg_cap, "out of memory for %ux%u image", width, height);
        jpeg_decode_cleanup(st);
        return VTP_IMG_ERR_NOMEM;
    }
    while (st->cinfo.output_scanline < height) {
        const uint32_t y = st->cinfo.output_scanline;
        JSAMPROW rows[1] = {st->row};
        if (jpeg_read_scanlines(&st->cinfo, rows, 1) != 1) {
            jpeg_set_message(msg, msg_cap, "decoder stalled at scanline %u", y);
            jpeg_decode_cleanup(st);
            return VTP_IMG_ERR_CORRUPT;
        }
        jpeg_row_to_rgb(st->row, st->rgb + (size_t)y * width * 3, width, components);
    }
    jpeg_finish_decompress(&st->cinfo);

    out->width = width;
    out->height = height;
    out->pixels = st->rgb;
    st->rgb = NULL;
    jpeg_decode_cleanup(st);
    return VTP_IMG_OK;
}

typedef struct {
    struct jpeg_compress_struct cinfo;
    int created;
    unsigned char *buffer;
    unsigned long size;
} jpeg_encode_state;

static void jpeg_encode_cleanup(jpeg_encode_state *st) {
    if (st->created) jpeg_destroy_compress(&st->cinfo);
    free(st->buffer);
    st->created = 0;
    st->buffer = NULL;
    st->size = 0;
}

int vtp_jpeg_encode_rgb8(const uint8_t *rgb, uint32_t width, uint32_t height, int quality,
                         int chroma_subsampling, uint8_t **out, size_t *out_size, char *msg,
                         size_t msg_cap) {
    if (!rgb || !out || !out_size || width == 0 || height == 0) {
        jpeg_set_message(msg, msg_cap, "invalid arguments (empty image or null pointer)");
        return VTP_IMG_ERR_ARGUMENT;
    }
    if (width > 65500 || height > 65500) {
        jpeg_set_message(msg, msg_cap, "image dimensions %ux%u exceed JPEG's 65500 limit", width,
                         height);
        return VTP_IMG_ERR_TOO_LARGE;
    }
    if (quality < 1 || quality > 100) {
        jpeg_set_message(msg, msg_cap, "JPEG quality %d outside 1...100", quality);
        return VTP_IMG_ERR_ARGUMENT;
    }
    if (chroma_subsampling < 0 || chroma_subsampling > 2) {
        jpeg_set_message(msg, msg_cap, "unknown chroma subsampling %d", chroma_subsampling);
        return VTP_IMG_ERR_ARGUMENT;
    }
    *out = NULL;
    *out_size = 0;

    jpeg_error_context err;
    jpeg_encode_state state;
    memset(&state, 0, sizeof(state));
    jpeg_encode_state *st = &state;
    jpeg_install_errors(&err, msg, msg_cap);
    st->cinfo.err = &err.base;
    if (setjmp(err.jump)) {
        jpeg_encode_cleanup(st);
        return err.code;
    }
    jpeg_create_compress(&st->cinfo);
    st->created = 1;
    jpeg_mem_dest(&st->cinfo, &st->buffer, &st->size);
    st->cinfo.image_width = width;
    st->cinfo.image_height = height;
    st->cinfo.input_components = 3;
    st->cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&st->cinfo);
    jpeg_set_quality(&st->cinfo, quality, TRUE);
    const int h = chroma_subsampling == 0 ? 1 : 2;
    const int v = chroma_subsampling == 2 ? 2 : 1;
    st->cinfo.comp_info[0].h_samp_factor = h;
    st->cinfo.comp_info[0].v_samp_factor = v;
    for (int c = 1; c < 3; c++) {
        st->cinfo.comp_info[c].h_samp_factor = 1;
        st->cinfo.comp_info[c].v_samp_factor = 1;
    }
    jpeg_start_compress(&st->cinfo, TRUE);
    const size_t stride = (size_t)width * 3;
    while (st->cinfo.next_scanline < height) {
        JSAMPROW rows[1] = {(JSAMPROW)(rgb + stride * st->cinfo.next_scanline)};
        jpeg_write_scanlines(&st->cinfo, rows, 1);
    }
    jpeg_finish_compress(&st->cinfo);

    uint8_t *copy = (uint8_t *)malloc(st->size ? st->size : 1);
    if (!copy) {
        jpeg_set_message(msg, msg_cap, "out of memory");
        jpeg_encode_cleanup(st);
        return VTP_IMG_ERR_NOMEM;
    }
    memcpy(copy, st->buffer, st->size);
    *out = copy;
    *out_size = st->size;
    jpeg_encode_cleanup(st);
    return VTP_IMG_OK;
}
