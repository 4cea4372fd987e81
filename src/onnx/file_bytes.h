// Whole-file reads with errors that name the file.
#pragma once

#include <string>

#include "core/status.h"

namespace tandem {

Result<std::string> read_file_bytes(const std::string& path);

}  // namespace tandem
