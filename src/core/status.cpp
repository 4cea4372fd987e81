// Names of status codes, as printed in one-line CLI errors.
#include "core/status.h"

namespace tandem {

const char* code_name(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid argument";
    case Code::kNotFound: return "not found";
    case Code::kUnsupported: return "unsupported";
    case Code::kInvalidModel: return "invalid model";
    case Code::kIoError: return "I/O error";
    case Code::kResourceExhausted: return "resource exhausted";
    case Code::kInternal: return "internal error";
  }
  return "unknown";
}

}  // namespace tandem
