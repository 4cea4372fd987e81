// "HxW" parsing and the multiple-of-32 rule.
#include "eval/input_size.h"

#include <algorithm>
#include <charconv>

#include "io/image.h"

namespace tandem {
namespace {

bool parse_positive(const std::string& s, int& v) {
  if (s.empty() || s[0] < '0' || s[0] > '9') return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size() && v > 0;
}

}  // namespace

Result<ImageSize> parse_image_size(const std::string& text) {
  ImageSize s;
  size_t x = text.find('x');
  bool ok = x != std::string::npos && parse_positive(text.substr(0, x), s.height) &&
            parse_positive(text.substr(x + 1), s.width);
  TANDEM_CHECK_OR_RETURN(ok, kInvalidArgument, "bad size '%s' (expected HxW, e.g. 256x512)", text.c_str());
  // No larger than an image Tandem would read back (io/image.h).
  TANDEM_CHECK_OR_RETURN(static_cast<int64_t>(s.height) * s.width <= kMaxImagePixels, kInvalidArgument,
                         "size '%s' is over %lld pixels", text.c_str(), static_cast<long long>(kMaxImagePixels));
  return s;
}

Status check_requested_input_size(const ImageSize& size) {
  TANDEM_CHECK_OR_RETURN(size.height % kInputStride == 0 && size.width % kInputStride == 0, kInvalidArgument,
                         "--shape %dx%d: H and W must be multiples of %d", size.height, size.width, kInputStride);
  return Status::ok();
}

Result<ImageSize> model_input_size(int frame_height, int frame_width, const std::optional<ImageSize>& requested) {
  if (requested) {
    TANDEM_RETURN_IF_ERROR(check_requested_input_size(*requested));
    return *requested;
  }
  TANDEM_CHECK_OR_RETURN(frame_height % kInputStride == 0 && frame_width % kInputStride == 0, kInvalidArgument,
                         "the frame is %dx%d, but the model input's H and W must be multiples of %d; pass --shape HxW "
                         "(e.g. --shape %dx%d) to resize the input",
                         frame_height, frame_width, kInputStride,
                         std::max(kInputStride, frame_height / kInputStride * kInputStride),
                         std::max(kInputStride, frame_width / kInputStride * kInputStride));
  return ImageSize{frame_height, frame_width};
}

}  // namespace tandem
