// A cursor over a fuzzer's input bytes: takes integers and floats off the
// front, zeros when the input runs out.
#ifndef QINS_TESTS_FUZZ_FUZZ_INPUT_H_
#define QINS_TESTS_FUZZ_FUZZ_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace qins::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : p_(data), n_(size) {}
  template <typename T>
  T Take() {
    T v{};
    const size_t k = n_ < sizeof(T) ? n_ : sizeof(T);
    std::memcpy(&v, p_, k);
    p_ += k;
    n_ -= k;
    return v;
  }
  const uint8_t* data() const { return p_; }
  size_t size() const { return n_; }

 private:
  const uint8_t* p_;
  size_t n_;
};

}  // namespace qins::fuzz

#endif  // QINS_TESTS_FUZZ_FUZZ_INPUT_H_
