// libjpeg-turbo behind Tandem's image interface: errors and warnings come back as one message through
// setjmp/longjmp (libjpeg's own error protocol), so nothing in between may own resources (the output buffer
// belongs to the caller's frame).
#include "io/jpeg_decoder.h"

#include <algorithm>
#include <climits>
#include <csetjmp>
#include <cstdio>
#include <cstring>

#include <jpeglib.h>

#include "core/memory_limit.h"

namespace tandem {
namespace {

// A progressive JPEG may hold any number of scans, each a full pass over the coefficients: tens of thousands of
// tiny scans make a small file decode for minutes. Real encoders write about ten.
constexpr int kMaxScans = 1000;

struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Level -1 is a warning: corrupt data libjpeg would otherwise decode around (missing rows come out grey).
void on_message(j_common_ptr cinfo, int level) {
  if (level < 0) on_error(cinfo);
}

void on_progress(j_common_ptr cinfo) {
  auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->input_scan_number > kMaxScans) {
    auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
    std::snprintf(err->message, sizeof err->message, "more than %d progressive scans", kMaxScans);
    std::longjmp(err->jump, 1);
  }
}

// The header, then (after `check_header`) the pixels into out->u8 as 8-bit samples of `channels`.
// Returns false with the message in err->message when libjpeg fails or the check refuses.
bool decode(const std::string& bytes, int want_channels,
            const std::function<Status(const DecodedImage&)>& check_header, DecodedImage* out, Status* refused,
            ErrorManager* err) {
  jpeg_decompress_struct cinfo;
  jpeg_progress_mgr progress;
  std::memset(&cinfo, 0, sizeof cinfo);
  cinfo.err = jpeg_std_error(&err->pub);
  err->pub.error_exit = on_error;
  err->pub.emit_message = on_message;
  if (setjmp(err->jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  cinfo.mem->max_memory_to_use = static_cast<long>(std::min<uint64_t>(memory_limit(), LONG_MAX));
  progress.progress_monitor = on_progress;
  cinfo.progress = &progress;
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    std::snprintf(err->message, sizeof err->message, "CMYK JPEGs are not supported");
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  out->width = static_cast<int>(cinfo.image_width);
  out->height = static_cast<int>(cinfo.image_height);
  out->channels = cinfo.num_components == 1 ? 1 : 3;
  out->sixteen_bit = false;
  *refused = check_header(*out);
  if (!refused->is_ok()) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  const int channels = want_channels == 1 ? 1 : want_channels == 0 ? out->channels : 3;
  cinfo.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  const size_t row = static_cast<size_t>(cinfo.output_width) * static_cast<size_t>(channels);
  out->u8.resize(row * cinfo.output_height);  // the caller's buffer: no destructor is skipped by a longjmp
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW line = out->u8.data() + row * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &line, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  out->channels = channels;
  return true;
}

}  // namespace

bool looks_like_jpeg(const std::string& bytes) {
  size_t at = 0;
  while (at < bytes.size() && static_cast<uint8_t>(bytes[at]) == 0xFF) ++at;
  return at > 0 && at < bytes.size() && static_cast<uint8_t>(bytes[at]) == 0xD8;
}

Result<DecodedImage> decode_jpeg(const std::string& bytes, const ImageDecodeOptions& options,
                                 const std::function<Status(const DecodedImage&)>& check_header) {
  TANDEM_CHECK_OR_RETURN(options.channels >= 0 && options.channels <= 4, kInvalidArgument,
                         "%d channels asked of a JPEG", options.channels);
  DecodedImage img;
  Status refused;
  ErrorManager err;
  err.message[0] = '\0';
  if (!decode(bytes, options.channels, check_header, &img, &refused, &err)) {
    if (!refused.is_ok()) return refused;
    return Status(Code::kInvalidArgument, std::string("corrupt JPEG: ") + err.message);
  }
  if (options.channels == 4) {  // RGB plus an opaque alpha, as stb_image gives
    std::vector<uint8_t> rgba(img.u8.size() / 3 * 4, 255);
    for (size_t p = 0, n = img.u8.size() / 3; p < n; ++p) std::memcpy(&rgba[4 * p], &img.u8[3 * p], 3);
    img.u8 = std::move(rgba);
    img.channels = 4;
  }
  if (options.sixteen_bit) {
    img.u16.resize(img.u8.size());
    for (size_t i = 0; i < img.u8.size(); ++i) img.u16[i] = static_cast<uint16_t>(img.u8[i] * 257u);
    img.u8.clear();
  }
  return img;
}

}  // namespace tandem
