#include "tools/npy_io.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tools/regular_file.h"

namespace qins::tools {
namespace {

bool EndsWith(const std::string& s, const std::string& t) {
  return s.size() >= t.size() &&
         s.compare(s.size() - t.size(), t.size(), t) == 0;
}

StatusOr<std::string> Slurp(const std::string& path) {
  // Regular files only: reading a FIFO would wait for a writer, and a
  // directory reads as an empty file.
  if (const std::string bad = NotARegularFile(path); !bad.empty())
    return InvalidArgument(bad);
  std::ifstream f(path, std::ios::binary);
  if (!f) return InvalidArgument("cannot open '" + path + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  if (f.bad()) return InvalidArgument("cannot read '" + path + "'");
  return ss.str();
}

}  // namespace

StatusOr<FloatArray> ReadFloats(const std::string& path, size_t rows,
                                size_t cols) {
  StatusOr<std::string> bytes = Slurp(path);
  if (!bytes.ok()) return bytes.status();
  const std::string& b = *bytes;
  FloatArray a;
  size_t offset = 0;
  if (EndsWith(path, ".npy")) {
    if (b.size() < 10 || b.compare(0, 6, "\x93NUMPY") != 0) {
      return DataLoss(path + ": not a .npy file (bad magic)");
    }
    const uint8_t major = static_cast<uint8_t>(b[6]);
    size_t header_len = 0, header_start = 0;
    if (major == 1) {
      header_len =
          static_cast<uint8_t>(b[8]) | (static_cast<uint8_t>(b[9]) << 8);
      header_start = 10;
    } else if (major == 2 || major == 3) {
      if (b.size() < 12) return DataLoss(path + ": truncated .npy header");
      uint32_t len;
      std::memcpy(&len, b.data() + 8, 4);
      header_len = len;
      header_start = 12;
    } else {
      return DataLoss(path + ": unsupported .npy version " +
                      std::to_string(major));
    }
    if (header_start + header_len > b.size())
      return DataLoss(path + ": truncated .npy header");
    const std::string h = b.substr(header_start, header_len);
    if (h.find("'descr': '<f4'") == std::string::npos) {
      return InvalidArgument(
          path + ": only little-endian float32 ('<f4') arrays are supported");
    }
    if (h.find("'fortran_order': False") == std::string::npos) {
      return InvalidArgument(path + ": Fortran-order arrays are not supported");
    }
    const size_t sp = h.find("'shape': (");
    if (sp == std::string::npos)
      return DataLoss(path + ": .npy header has no shape");
    const size_t end = h.find(')', sp);
    if (end == std::string::npos) return DataLoss(path + ": bad .npy shape");
    std::vector<size_t> dims;
    std::string inner = h.substr(sp + 10, end - sp - 10);
    std::stringstream ss(inner);
    std::string item;
    while (std::getline(ss, item, ',')) {
      size_t p = item.find_first_not_of(' ');
      if (p == std::string::npos) continue;
      char* e = nullptr;
      const unsigned long long v = std::strtoull(item.c_str() + p, &e, 10);
      if (e == item.c_str() + p || v > (1ull << 40))
        return DataLoss(path + ": bad .npy shape");
      dims.push_back(static_cast<size_t>(v));
    }
    if (dims.size() == 1) {
      a.rows = 1;
      a.cols = dims[0];
    } else if (dims.size() == 2) {
      a.rows = dims[0];
      a.cols = dims[1];
    } else {
      return InvalidArgument(path + ": only 1-D and 2-D arrays are supported");
    }
    offset = header_start + header_len;
    if (a.cols != 0 && a.rows > (size_t{1} << 40) / a.cols)
      return DataLoss(path + ": shape too large");
    if (b.size() - offset != a.rows * a.cols * 4) {
      return DataLoss(path + ": data has " + std::to_string(b.size() - offset) +
                      " bytes, the shape needs " +
                      std::to_string(a.rows * a.cols * 4));
    }
  } else {
    if (b.size() % 4 != 0) {
      return DataLoss(path + ": raw float32 file size " +
                      std::to_string(b.size()) + " is not a multiple of 4");
    }
    const size_t n = b.size() / 4;
    if (rows == 0 && cols == 0) {
      a.rows = 1;
      a.cols = n;
    } else {
      a.rows = rows ? rows : (cols ? n / cols : 1);
      a.cols = cols ? cols : (rows ? n / rows : n);
      // rows * cols compared by division: 2^32 x 2^32 wrapped to 0.
      if (a.rows == 0 || a.cols == 0 || a.rows > n / a.cols ||
          a.rows * a.cols != n) {
        return InvalidArgument(path + ": " + std::to_string(n) +
                               " floats do not fit " + std::to_string(a.rows) +
                               " x " + std::to_string(a.cols));
      }
    }
  }
  // An empty array has nothing to encode (and memcpy into an empty vector's
  // null data is undefined).
  if (a.rows == 0 || a.cols == 0) {
    return InvalidArgument(path + ": empty array (" + std::to_string(a.rows) +
                           " x " + std::to_string(a.cols) + "), no floats");
  }
  a.data.resize(a.rows * a.cols);
  std::memcpy(a.data.data(), b.data() + offset, a.data.size() * 4);
  return a;
}

Status WriteFloats(const std::string& path, const FloatArray& a) {
  std::ofstream f(path, std::ios::binary);
  if (!f) return InvalidArgument("cannot write '" + path + "'");
  if (EndsWith(path, ".npy")) {
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                         std::to_string(a.rows) + ", " +
                         std::to_string(a.cols) + "), }";
    // Pad so that magic (6) + version (2) + length (2) + header is a multiple
    // of 64, ending in a newline.
    while ((10 + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    const uint16_t len = static_cast<uint16_t>(header.size());
    f.write("\x93NUMPY\x01\x00", 8);
    f.write(reinterpret_cast<const char*>(&len), 2);
    f.write(header.data(), static_cast<std::streamsize>(header.size()));
  }
  f.write(reinterpret_cast<const char*>(a.data.data()),
          static_cast<std::streamsize>(a.data.size() * 4));
  f.close();  // a full disk shows only when the buffer is flushed
  if (!f) return InvalidArgument("write to '" + path + "' failed");
  return Status::Ok();
}

}  // namespace qins::tools
