// Registry smoke test: every registered op has inference and a reference kernel.
#include <gtest/gtest.h>

#include "ops/op_registry.h"

namespace tandem {
namespace {

TEST(OpRegistry, EverySchemaIsComplete) {
  for (const OpSchema* s : OpRegistry::global().all()) {
    EXPECT_NE(s->infer, nullptr) << s->op_type;
    EXPECT_NE(s->create, nullptr) << s->op_type;
  }
}

}  // namespace
}  // namespace tandem
