#ifndef CVTPDATA_H
#define CVTPDATA_H
// C helpers for VTPData: image codecs (libpng, libjpeg-turbo) and gzip / raw deflate (zlib). Each lives in its own header.
#include "vtp_gzip.h"
#include "vtp_image_io.h"
#include "vtp_inflate.h"
#endif
