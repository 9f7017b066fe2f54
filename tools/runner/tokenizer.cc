#include "tools/runner/tokenizer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <queue>

#include "tools/runner/mapped_file.h"

namespace qins::runner {

StatusOr<Tokenizer> Tokenizer::Load(const std::string& path, int vocab_size) {
  if (vocab_size <= 0) {
    return InvalidArgument("tokenizer " + path + ": vocab_size must be > 0");
  }
  auto file = MappedFile::Open(path);
  if (!file.ok()) return file.status();
  const uint8_t* p = (*file)->data();
  const size_t size = (*file)->size();
  size_t off = 0;
  auto read32 = [&](void* dst, const char* what, int id) -> Status {
    if (size - off < 4) {
      return DataLoss("tokenizer " + path + ": truncated at byte " +
                      std::to_string(off) + " reading the " + what +
                      (id >= 0 ? " of id " + std::to_string(id) : "") +
                      " (file has " + std::to_string(size) +
                      " bytes, model vocab " + std::to_string(vocab_size) +
                      ")");
    }
    std::memcpy(dst, p + off, 4);
    off += 4;
    return Status::Ok();
  };
  int32_t max_len = 0;
  Status st = read32(&max_len, "max_token_length", -1);
  if (!st.ok()) return st;
  if (max_len <= 0) {
    return DataLoss("tokenizer " + path + ": max_token_length " +
                    std::to_string(max_len) + " must be positive");
  }
  Tokenizer t;
  // Each piece takes at least 8 bytes of the file: a 1 KB file claiming a
  // huge vocabulary reserves little before it runs out.
  t.pieces_.reserve(std::min<size_t>(vocab_size, size / 8));
  for (int id = 0; id < vocab_size; ++id) {
    float score;
    int32_t len;
    if (!(st = read32(&score, "score", id)).ok()) return st;
    if (!(st = read32(&len, "piece length", id)).ok()) return st;
    if (!std::isfinite(score)) {
      return DataLoss("tokenizer " + path + ": score of id " +
                      std::to_string(id) + " at byte " +
                      std::to_string(off - 8) + " is not finite");
    }
    if (len < 0 || static_cast<size_t>(len) > size - off) {
      return DataLoss("tokenizer " + path + ": piece length " +
                      std::to_string(len) + " of id " + std::to_string(id) +
                      " at byte " + std::to_string(off - 4) +
                      " exceeds the file (" + std::to_string(size) + " bytes)");
    }
    t.pieces_.emplace_back(reinterpret_cast<const char*>(p + off), len);
    t.scores_.push_back(score);
    off += len;
  }
  for (int id = vocab_size - 1; id >= 0; --id) t.index_[t.pieces_[id]] = id;
  return t;
}

Tokenizer Tokenizer::FromPieces(std::vector<std::string> pieces) {
  Tokenizer t;
  t.pieces_ = std::move(pieces);
  t.scores_.assign(t.pieces_.size(), 0.0f);
  for (int id = static_cast<int>(t.pieces_.size()) - 1; id >= 0; --id)
    t.index_[t.pieces_[id]] = id;
  return t;
}

int Tokenizer::Lookup(const std::string& s) const {
  auto it = index_.find(s);
  return it == index_.end() ? -1 : it->second;
}

namespace {
int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
}  // namespace

std::string Tokenizer::Decode(int prev_token, int token) const {
  if (token < 0 || token >= vocab_size()) return "";
  std::string_view piece = pieces_[token];
  if (prev_token == 1 && !piece.empty() && piece[0] == ' ')
    piece.remove_prefix(1);
  // run.c: sscanf(piece, "<0x%02hhX>", &byte) on the whole piece.
  if (piece.size() == 6 && piece.substr(0, 3) == "<0x" && piece[5] == '>') {
    const int hi = HexDigit(piece[3]), lo = HexDigit(piece[4]);
    if (hi >= 0 && lo >= 0)
      return std::string(1, static_cast<char>(hi * 16 + lo));
  }
  return std::string(piece);
}

StatusOr<std::vector<int>> Tokenizer::Encode(std::string_view text, bool bos,
                                             bool eos,
                                             bool dummy_prefix) const {
  // run.c's fixed ids: BOS 1, EOS 2. A smaller vocabulary has neither, and
  // an id outside it would only fail later, in the forward pass.
  if ((bos && vocab_size() <= 1) || (eos && vocab_size() <= 2)) {
    return InvalidArgument("tokenizer has " + std::to_string(vocab_size()) +
                           " pieces, too few for run.c's BOS (id 1) and EOS "
                           "(id 2)");
  }
  std::vector<int> tokens;
  if (bos) tokens.push_back(1);
  if (!text.empty() && dummy_prefix) {
    const int space = Lookup(" ");
    if (space < 0) {
      // Vocabularies converted from SentencePiece byte-fallback models may
      // spell the space only as the byte piece <0x20>: say so, and what to
      // do, rather than only what is missing.
      const int byte_space = Lookup("<0x20>");
      return InvalidArgument(
          std::string("tokenizer has no \" \" piece for run.c's dummy "
                      "prefix, so text cannot be encoded") +
          (byte_space >= 0
               ? " (its vocabulary spells the space only as the byte piece "
                 "<0x20>, id " +
                     std::to_string(byte_space) + ")"
               : "") +
          "; give the prompt as token ids (--prompt-ids, or --ids for "
          "eval), or use a tokenizer.bin that has a \" \" piece");
    }
    tokens.push_back(space);
  }
  // One piece per UTF-8 code point (at most 4 bytes), else its bytes + 3.
  std::string cp;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) cp.clear();
    cp.push_back(static_cast<char>(c));
    const bool next_continues =
        i + 1 < text.size() &&
        (static_cast<unsigned char>(text[i + 1]) & 0xC0) == 0x80;
    if (next_continues && cp.size() < 4) continue;
    const int id = Lookup(cp);
    if (id >= 0) {
      tokens.push_back(id);
    } else {
      for (unsigned char b : cp) {
        if (b + 3 >= vocab_size()) {
          char hex[8];
          std::snprintf(hex, sizeof(hex), "%02X", b);
          return InvalidArgument(std::string("byte 0x") + hex +
                                 " has no piece and no byte-fallback id (" +
                                 "vocab " + std::to_string(vocab_size()) + ")");
        }
        tokens.push_back(b + 3);
      }
    }
    cp.clear();
  }
  // run.c repeatedly scans all adjacent pairs and merges the one whose
  // concatenation is the piece with the highest score (the leftmost on
  // ties; scores <= -1e10 never merge): O(n^2) for n tokens. The same merge
  // order comes from a heap of candidate pairs keyed by (score, leftmost):
  // merging never reorders tokens, so "leftmost" is the smaller original
  // index; entries whose tokens have changed since are skipped when popped.
  // O(n log n) lookups, so long texts (eval) encode quickly.
  const int n = static_cast<int>(tokens.size());
  std::vector<int> prev(n), next(n);
  std::vector<bool> alive(n, true);
  for (int i = 0; i < n; ++i) prev[i] = i - 1, next[i] = i + 1;
  struct Pair {
    float score;
    int left, right, left_id, right_id, merged;
    bool operator<(const Pair& o) const {  // max-heap: best score, leftmost
      return score != o.score ? score < o.score : left > o.left;
    }
  };
  std::priority_queue<Pair> heap;
  auto consider = [&](int left, int right) {
    if (left < 0 || right >= n) return;
    const int id = Lookup(pieces_[tokens[left]] + pieces_[tokens[right]]);
    if (id >= 0 && scores_[id] > -1e10f)
      heap.push({scores_[id], left, right, tokens[left], tokens[right], id});
  };
  for (int i = 0; i + 1 < n; ++i) consider(i, i + 1);
  while (!heap.empty()) {
    const Pair p = heap.top();
    heap.pop();
    if (!alive[p.left] || !alive[p.right] || next[p.left] != p.right ||
        tokens[p.left] != p.left_id || tokens[p.right] != p.right_id)
      continue;
    tokens[p.left] = p.merged;
    alive[p.right] = false;
    next[p.left] = next[p.right];
    if (next[p.right] < n) prev[next[p.right]] = p.left;
    consider(prev[p.left], p.left);
    consider(p.left, next[p.left]);
  }
  std::vector<int> merged;
  merged.reserve(n);
  for (int i = 0; i < n; ++i)
    if (alive[i]) merged.push_back(tokens[i]);
  tokens = std::move(merged);
  if (eos) tokens.push_back(2);
  return tokens;
}

}  // namespace qins::runner
