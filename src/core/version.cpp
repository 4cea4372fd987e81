// The library's version, compiled in from the same generated header the public API ships.
#include "tandem/version.h"

namespace tandem {

const char* version() { return TANDEM_VERSION_STRING; }

}  // namespace tandem
