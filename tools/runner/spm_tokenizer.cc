#include "tools/runner/spm_tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <queue>
#include <string>
#include <utility>

#include "tools/runner/unicode.h"

namespace qins::runner {
namespace {

struct Symbol {
  int prev;
  int next;
  const char* text;
  size_t n;
};

struct Bigram {
  int left;
  int right;
  float score;
  size_t size;
};
// std::priority_queue's top is the "largest": the highest score, then the
// lowest left index.
struct BigramLess {
  bool operator()(const Bigram& l, const Bigram& r) const {
    return l.score < r.score || (l.score == r.score && l.left > r.left);
  }
};

class Session {
 public:
  explicit Session(const TokenVocab& v) : vocab_(v) {}

  Status Tokenize(std::string_view text, std::vector<int>* out) {
    int index = 0;
    size_t offs = 0;
    while (offs < text.size()) {
      Symbol sym;
      const size_t len = Utf8SequenceLength(static_cast<uint8_t>(text[offs]));
      sym.text = text.data() + offs;
      sym.n = std::min(len, text.size() - offs);
      offs += sym.n;
      sym.prev = index - 1;
      sym.next = offs == text.size() ? -1 : index + 1;
      ++index;
      symbols_.push_back(sym);
    }
    for (int i = 1; i < static_cast<int>(symbols_.size()); ++i)
      TryAddBigram(i - 1, i);
    while (!queue_.empty()) {
      const Bigram b = queue_.top();
      queue_.pop();
      Symbol& l = symbols_[b.left];
      Symbol& r = symbols_[b.right];
      if (l.n == 0 || r.n == 0 || l.n + r.n != b.size) continue;
      l.n += r.n;
      r.n = 0;
      l.next = r.next;
      if (r.next >= 0) symbols_[r.next].prev = b.left;
      TryAddBigram(l.prev, b.left);
      TryAddBigram(b.left, l.next);
    }
    if (symbols_.empty()) return Status();
    for (int i = 0; i != -1; i = symbols_[i].next) {
      Status s = Resegment(symbols_[i], out, 0);
      if (!s.ok()) return s;
    }
    return Status();
  }

 private:
  Status Resegment(const Symbol& sym, std::vector<int>* out, int depth) {
    const std::string text(sym.text, sym.n);
    const int id = vocab_.Find(text);
    if (id >= 0) {
      out->push_back(id);
      return Status();
    }
    auto p = rev_merge_.find(text);
    // A merge always has two shorter halves, so the depth is at most the
    // symbol's length; the bound only guards against a logic error.
    if (p == rev_merge_.end() || depth > static_cast<int>(sym.n)) {
      for (size_t j = 0; j < sym.n; ++j) {
        const uint8_t byte = static_cast<uint8_t>(sym.text[j]);
        const int b = SpmByteToken(vocab_, byte);
        if (b < 0) {
          char hex[8];
          std::snprintf(hex, sizeof(hex), "0x%02X", byte);
          return InvalidArgument(
              std::string("SentencePiece: no token for byte ") + hex +
              " (neither <" + hex + "> nor the byte)");
        }
        out->push_back(b);
      }
      return Status();
    }
    Status s = Resegment(symbols_[p->second.first], out, depth + 1);
    if (!s.ok()) return s;
    return Resegment(symbols_[p->second.second], out, depth + 1);
  }

  void TryAddBigram(int left, int right) {
    if (left == -1 || right == -1) return;
    const std::string text(symbols_[left].text,
                           symbols_[left].n + symbols_[right].n);
    const int id = vocab_.Find(text);
    if (id < 0) return;
    queue_.push(Bigram{left, right, vocab_.score[id], text.size()});
    rev_merge_[text] = {left, right};
  }

  const TokenVocab& vocab_;
  std::vector<Symbol> symbols_;
  std::priority_queue<Bigram, std::vector<Bigram>, BigramLess> queue_;
  std::map<std::string, std::pair<int, int>> rev_merge_;
};

}  // namespace

int SpmByteToken(const TokenVocab& vocab, uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "<0x%02X>", b);
  const int id = vocab.Find(buf);
  if (id >= 0) return id;
  return vocab.Find(std::string(1, static_cast<char>(b)));
}

Status SpmTokenize(const TokenVocab& vocab, std::string_view text,
                   std::vector<int>* out) {
  return Session(vocab).Tokenize(text, out);
}

}  // namespace qins::runner
