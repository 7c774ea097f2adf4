#ifndef VTP_IMAGE_IO_H
#define VTP_IMAGE_IO_H
// PNG / JPEG decoding to 8-bit RGB and encoding from 8-bit RGB (libpng, libjpeg-turbo).
//
// libpng and libjpeg report fatal errors by longjmp. Every setjmp/longjmp stays inside these C
// functions: they never abort or exit, they return a VTP_IMG_* status and write a NUL-terminated
// human-readable reason into `msg` (capacity `msg_cap`, may be 0).
//
// Decoding follows Pillow's Image.open(...).convert("RGB") (see png_io.c / jpeg_io.c for the
// per-mode rules). Output buffers are malloc'd; release them with vtp_image_free.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    VTP_IMG_OK = 0,
    VTP_IMG_ERR_CORRUPT = 1,     // malformed or truncated data
    VTP_IMG_ERR_TOO_LARGE = 2,   // dimensions beyond the caller's limits
    VTP_IMG_ERR_UNSUPPORTED = 3, // valid file using a feature we do not decode (e.g. 12-bit JPEG)
    VTP_IMG_ERR_NOMEM = 4,       // allocation failed
    VTP_IMG_ERR_ARGUMENT = 5,    // bad argument (null pointer, zero size, quality out of range...)
};

/// Limits checked before any pixel buffer is allocated.
typedef struct {
    uint32_t max_width;   // 0 = no per-side limit
    uint32_t max_height;  // 0 = no per-side limit
    uint64_t max_pixels;  // 0 = no total limit
} vtp_image_limits;

/// A decoded image: width*height*3 bytes, row-major, interleaved R,G,B.
typedef struct {
    uint32_t width;
    uint32_t height;
    uint8_t *pixels;
} vtp_rgb8_image;

/// Reads only the header. On success fills *width/*height.
int vtp_png_probe(const uint8_t *data, size_t size, uint32_t *width, uint32_t *height,
                  char *msg, size_t msg_cap);
int vtp_jpeg_probe(const uint8_t *data, size_t size, uint32_t *width, uint32_t *height,
                   char *msg, size_t msg_cap);

/// Full decode to RGB8. On success out->pixels must be released with vtp_image_free.
int vtp_png_decode_rgb8(const uint8_t *data, size_t size, vtp_image_limits limits,
                        vtp_rgb8_image *out, char *msg, size_t msg_cap);
int vtp_jpeg_decode_rgb8(const uint8_t *data, size_t size, vtp_image_limits limits,
                         vtp_rgb8_image *out, char *msg, size_t msg_cap);

/// Encodes interleaved RGB8 (stride = width*3). On success *out (size *out_size) must be released
/// with vtp_image_free. compression_level: zlib level 0...9, or -1 for the zlib default (6).
int vtp_png_encode_rgb8(const uint8_t *rgb, uint32_t width, uint32_t height, int compression_level,
                        uint8_t **out, size_t *out_size, char *msg, size_t msg_cap);

/// quality 1...100. chroma_subsampling: 0 = 4:4:4, 1 = 4:2:2, 2 = 4:2:0 (libjpeg/Pillow default).
int vtp_jpeg_encode_rgb8(const uint8_t *rgb, uint32_t width, uint32_t height, int quality,
                         int chroma_subsampling, uint8_t **out, size_t *out_size, char *msg,
                         size_t msg_cap);

void vtp_image_free(void *p);

#ifdef __cplusplus
}
#endif

#endif
