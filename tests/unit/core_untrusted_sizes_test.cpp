// The size-safe core: overflow-checked counts and sizes, the memory limit and its accounting, bounded reads of
// regular files only, and the JSON nesting guard.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <fstream>

#include "core/checked_size.h"
#include "core/json_nesting.h"
#include "core/memory_limit.h"
#include "core/regular_file.h"

namespace tandem {
namespace {

namespace fs = std::filesystem;

TEST(CheckedSize, CountsAndBytesOverflowIntoErrors) {
  EXPECT_EQ(checked_numel({2, 3, 4}).value(), 24);
  EXPECT_EQ(checked_numel({}).value(), 1);
  EXPECT_EQ(checked_numel({0, 5}).value(), 0);
  EXPECT_FALSE(checked_numel({int64_t{1} << 31, int64_t{1} << 31, 4}).is_ok());
  EXPECT_FALSE(checked_numel({7, 5270498306774157632}).is_ok());  // wraps to 192 modulo 2^64
  EXPECT_FALSE(checked_numel({0, INT64_MAX, 2}).is_ok());         // empty, but its strides would overflow
  EXPECT_FALSE(checked_numel({3, -1}).is_ok());
  EXPECT_EQ(checked_nbytes(DType::kFloat32, {2, 3}).value(), 24u);
  EXPECT_FALSE(checked_nbytes(DType::kFloat32, {int64_t{1} << 62}).is_ok());  // 2^64 bytes
  EXPECT_FALSE(checked_nbytes(DType::kString, {1}).is_ok());
  int64_t r = 0;
  EXPECT_FALSE(checked_mul(INT64_MAX, 2, &r));
  EXPECT_FALSE(checked_add(INT64_MAX, 1, &r));
  EXPECT_FALSE(checked_mul(-1, 2, &r));
  EXPECT_TRUE(add_dims(-5, 3, &r) && r == -2);
  EXPECT_FALSE(add_dims(INT64_MIN, -1, &r));
}

// Restores the process-wide limit whatever a test sets.
class MemoryLimitTest : public ::testing::Test {
 protected:
  void TearDown() override { set_memory_limit(0); }
};

TEST_F(MemoryLimitTest, ParsesSizesWithUnitsAndRejectsTheRest) {
  EXPECT_EQ(parse_memory_size("4096").value(), 4096u);
  EXPECT_EQ(parse_memory_size("64K").value(), 64u << 10);
  EXPECT_EQ(parse_memory_size("512M").value(), 512u << 20);
  EXPECT_EQ(parse_memory_size("8G").value(), uint64_t{8} << 30);
  EXPECT_EQ(parse_memory_size("2GiB").value(), uint64_t{2} << 30);
  EXPECT_EQ(parse_memory_size("1t").value(), uint64_t{1} << 40);
  for (const char* bad : {"", "0", "-1", "8X", "G", "1.5G", "8 G", "99999999999999999999", "20000000000T"})
    EXPECT_FALSE(parse_memory_size(bad).is_ok()) << bad;
}

TEST_F(MemoryLimitTest, AllocationsAreCountedAndRefusedPastTheLimit) {
  const uint64_t before = memory_in_use();
  set_memory_limit(before + (uint64_t{1} << 20));
  {
    Result<Tensor> a = Tensor::allocate(DType::kFloat32, {128, 1024}, "a");  // 512 KiB
    ASSERT_TRUE(a.is_ok()) << a.status().to_string();
    EXPECT_GE(memory_in_use(), before + (512u << 10));
    Result<Tensor> b = Tensor::allocate(DType::kFloat32, {160, 1024}, "b");  // 640 KiB: over the total
    ASSERT_FALSE(b.is_ok());
    EXPECT_EQ(b.status().code(), Code::kResourceExhausted);
    EXPECT_NE(b.status().message().find("--max-memory"), std::string::npos) << b.status().message();
    EXPECT_THROW(Tensor::make(DType::kFloat32, {160, 1024}), OutOfMemory);
  }
  EXPECT_EQ(memory_in_use(), before);  // released with the last owner
  EXPECT_TRUE(Tensor::allocate(DType::kFloat32, {160, 1024}).is_ok());
  EXPECT_FALSE(check_size_within_limit(uint64_t{1} << 62, "x").is_ok());
}

class RegularFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tandem_regular_file_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(RegularFileTest, ReadsOnlyRegularFilesAndOnlyTheirBytes) {
  const std::string file = (dir_ / "f").string();
  std::ofstream(file) << "0123456789";
  Result<std::string> all = read_regular_file(file, 10, "test file");
  ASSERT_TRUE(all.is_ok());
  EXPECT_EQ(*all, "0123456789");
  EXPECT_EQ(read_regular_file(file, 9, "test file").status().code(), Code::kResourceExhausted);
  Result<RegularFile> f = RegularFile::open(file, "test file");
  ASSERT_TRUE(f.is_ok());
  char buf[4] = {};
  EXPECT_TRUE(f->read_at(6, buf, 4).is_ok());
  EXPECT_EQ(std::string(buf, 4), "6789");
  EXPECT_FALSE(f->read_at(7, buf, 4).is_ok());
  EXPECT_FALSE(f->read_at(UINT64_MAX - 1, buf, 4).is_ok());

  const std::string fifo = (dir_ / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  Result<RegularFile> from_fifo = RegularFile::open(fifo, "test file");  // must not block waiting for a writer
  ASSERT_FALSE(from_fifo.is_ok());
  EXPECT_NE(from_fifo.status().message().find("FIFO"), std::string::npos);
  EXPECT_NE(RegularFile::open("/dev/zero", "test file").status().message().find("device"), std::string::npos);
  EXPECT_NE(RegularFile::open(dir_.string(), "test file").status().message().find("directory"), std::string::npos);
  EXPECT_EQ(RegularFile::open((dir_ / "missing").string(), "test file").status().code(), Code::kNotFound);
}

TEST(JsonNesting, CountsBracketsOutsideStrings) {
  EXPECT_EQ(json_nesting_depth("{}"), 1);
  EXPECT_EQ(json_nesting_depth(R"({"a": [1, {"b": [2]}]})"), 4);
  EXPECT_EQ(json_nesting_depth(R"({"a": "[[[[{{{{", "b": "\"[["})"), 1);
  EXPECT_EQ(json_nesting_depth(std::string(100000, '[')), 100000);
  EXPECT_EQ(json_nesting_depth("]]]]"), 0);
}

}  // namespace
}  // namespace tandem
